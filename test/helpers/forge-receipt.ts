/**
 * A receipt forged with anvil and this project's own code, as anyone could: for tests of what a
 * verifier makes of chains that anyone can run.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Contract, Wallet } from "ethers";
import { ANVIL_DEV_PRIVATE_KEY } from "../../src/adapters/chain/anvil.ts";
import { registryArtifact } from "../../src/adapters/chain/artifact.ts";
import { deployRegistry } from "../../src/adapters/chain/deployment.ts";
import { rpcProvider } from "../../src/adapters/chain/provider.ts";
import { canonicalJsonSha256 } from "../../src/domain/canonical-json.ts";
import { fileFacts } from "../../src/domain/content-id.ts";
import { buildReceipt, type TimestampProof } from "../../src/domain/receipt.ts";

/**
 * What a forger does with anvil and this project's own code: deploy the registry with anvil's first
 * development key, anchor the root of a batch holding the file, and write the receipt.
 */
export async function forgeReceipt(rpcUrl: string, content: Buffer, receivedAt: string, timestamps: TimestampProof[] = []) {
  const provider = rpcProvider(rpcUrl);
  try {
    const wallet = new Wallet(ANVIL_DEV_PRIVATE_KEY, provider);
    const { address } = await deployRegistry(wallet, registryArtifact, { network: "forged" });
    const facts = await fileFacts([content]);
    const metadata = { id: "ev_forged", kind: "screenshot" as const, ...facts, mediaType: "image/png", receivedAt };
    const metadataSha256 = canonicalJsonSha256(metadata);
    const leaf: [string, string] = [`0x${facts.sha256}`, `0x${metadataSha256}`];
    const other: [string, string] = [`0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`];
    const tree = StandardMerkleTree.of([leaf, other], ["bytes32", "bytes32"]);
    const mined = await (await new Contract(address, registryArtifact.abi, wallet).getFunction("anchor")(tree.root)).wait();
    const block = (await provider.getBlock(mined.blockNumber))!;
    return buildReceipt({
      metadata,
      metadataSha256,
      leaf,
      proof: tree.getProof(leaf),
      root: tree.root,
      anchor: {
        chainId: Number((await provider.getNetwork()).chainId),
        registry: address,
        txHash: mined.hash,
        blockNumber: mined.blockNumber,
        blockHash: block.hash!,
        timestamp: block.timestamp,
        registryVersion: "2",
      },
      timestamps,
      timestampsPending: [],
    });
  } finally {
    provider.destroy();
  }
}
