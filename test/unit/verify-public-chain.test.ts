/**
 * The verdict on a public chain, which no test can reach here: the receipt's checks run for real, and
 * the chain is a stand-in that answers as a Sepolia endpoint would (its block 0, its registry, its head).
 */
import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { canonicalJsonSha256 } from "../../src/domain/canonical-json.ts";
import { fileFacts } from "../../src/domain/content-id.ts";
import { buildReceipt } from "../../src/domain/receipt.ts";
import type { ChainReader } from "../../src/ports/chain-reader.ts";
import { verifyReceipt } from "../../src/use-cases/verify-receipt.ts";

const SEPOLIA_GENESIS = "0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9";
const REGISTRY = "0x" + "ab".repeat(20);
const BLOCK = 7_301_442;
const TIME = 1_795_632_084; // 2026-11-25T18:41:24Z
const BLOCK_HASH = "0x" + "cd".repeat(32);
const TX = "0x" + "ef".repeat(32);

async function sepoliaReceipt() {
  const content = Buffer.from("a listing screenshot");
  const facts = await fileFacts([content]);
  const metadata = { id: "ev_1", kind: "screenshot" as const, ...facts, mediaType: "image/png", receivedAt: "2026-11-25T18:41:20.500Z" };
  const metadataSha256 = canonicalJsonSha256(metadata);
  const leaf: [string, string] = [`0x${facts.sha256}`, `0x${metadataSha256}`];
  const tree = StandardMerkleTree.of([leaf, [`0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`]], ["bytes32", "bytes32"]);
  const receipt = buildReceipt({
    metadata,
    metadataSha256,
    leaf,
    proof: tree.getProof(leaf),
    root: tree.root,
    anchor: {
      chainId: 11_155_111,
      registry: REGISTRY,
      txHash: TX,
      blockNumber: BLOCK,
      blockHash: BLOCK_HASH,
      timestamp: TIME,
      registryVersion: "2",
    },
    timestamps: [],
    timestampsPending: [],
  });
  return { receipt, facts };
}

function sepolia(head: number, genesis = SEPOLIA_GENESIS): ChainReader {
  return {
    endpoint: "https://sepolia.example",
    chainId: async () => 11_155_111,
    genesisHash: async () => genesis,
    blockNumber: async () => head,
    registryVersion: async () => "2",
    anchorOf: async () => ({ timestamp: TIME, blockNumber: BLOCK }),
    registryVerify: async () => TIME,
    registryVerifyItem: async () => TIME,
    block: async (n) => (n === BLOCK ? { hash: BLOCK_HASH, timestamp: TIME } : null),
    transaction: async () => ({ success: true, blockNumber: BLOCK, blockHash: BLOCK_HASH, to: REGISTRY }),
    close() {},
  };
}

describe("verifying on a public chain", () => {
  it("trusts the anchor once the block is final, and names the last instant its block proves", async () => {
    const { receipt, facts } = await sepoliaReceipt();
    const result = await verifyReceipt({ receipt, file: facts, chains: [sepolia(BLOCK + 63)] });
    expect(result.checks.filter((c) => c.status !== "pass")).to.deep.equal([]);
    expect(result.checks.find((c) => c.id === "chain.identity")!.detail).to.equal(
      `Sepolia (Ethereum test network): block 0 is ${SEPOLIA_GENESIS}`,
    );
    expect(result.checks.find((c) => c.id === "chain.finality")!.detail).to.equal(
      `block ${BLOCK} is 64 blocks deep (this verifier counts Sepolia (Ethereum test network) final at 64)`,
    );
    expect([result.verified, result.trust]).to.deep.equal([true, "public"]);
    expect(result.summary).to.equal(
      `VERIFIED: This file existed no later than 2026-11-25T18:41:35.999Z (block ${BLOCK} of Sepolia (Ethereum test network) (chain id 11155111), block time 2026-11-25T18:41:24Z; block times are whole seconds, and on Sepolia (Ethereum test network) a block's time may precede its transactions by less than 12 s).`,
    );
  });

  it("warns while the block is shallower than the chain's finality depth", async () => {
    const { receipt } = await sepoliaReceipt();
    const result = await verifyReceipt({ receipt, chains: [sepolia(BLOCK + 9)] });
    const finality = result.checks.find((c) => c.id === "chain.finality")!;
    expect([finality.status, finality.detail]).to.deep.equal([
      "warn",
      `block ${BLOCK} is only 10 blocks deep; this verifier counts Sepolia (Ethereum test network) final at 64: check again later`,
    ]);
    expect(result.summary).to.match(/^VERIFIED: .* Not final yet: block 7301442 is only 10 blocks deep; .*: check again later\.$/);
  });

  it("fails an endpoint whose block 0 is not Sepolia's, and checks nothing further there", async () => {
    const { receipt } = await sepoliaReceipt();
    const other = "0x" + "99".repeat(32);
    const result = await verifyReceipt({ receipt, chains: [sepolia(BLOCK + 100, other)] });
    expect(result.checks.find((c) => c.id === "chain.identity")).to.deep.include({
      status: "fail",
      detail: `this endpoint is not Sepolia (Ethereum test network): its block 0 is ${other}; Sepolia (Ethereum test network)'s is ${SEPOLIA_GENESIS}`,
    });
    expect(result.checks.find((c) => c.id === "chain.anchor")!.status).to.equal("skip");
    expect(result.verified).to.equal(false);
  });
});
