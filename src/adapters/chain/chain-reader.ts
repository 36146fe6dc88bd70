/** ChainReader over a JSON-RPC endpoint with ethers (read-only calls). */
import { Contract, type JsonRpcProvider } from "ethers";
import type { ChainReader } from "../../ports/chain-reader.ts";
import { registryArtifact } from "./artifact.ts";
import { rpcCall, rpcProvider } from "./provider.ts";

export function jsonRpcChainReader(url: string): ChainReader {
  // The provider is made once the chain id is known: ethers would otherwise probe the endpoint in a
  // loop, printing to the console, when it is down.
  let provider: JsonRpcProvider | undefined;
  let chainId: Promise<number> | undefined;
  const connected = async () => (provider ??= rpcProvider(url, await (chainId ??= fetchChainId())));
  const fetchChainId = async () => Number(await rpcCall(url, "eth_chainId"));
  const registry = async (address: string) => new Contract(address, registryArtifact.abi, await connected());
  return {
    endpoint: url,
    chainId: () => (chainId ??= fetchChainId()),
    async anchorOf(address, root) {
      const [timestamp, blockNumber] = await (await registry(address)).getFunction("anchorOf")(root);
      return { timestamp: Number(timestamp), blockNumber: Number(blockNumber) };
    },
    async registryVerify(address, root, leafHash, proof) {
      return Number(await (await registry(address)).getFunction("verify")(root, leafHash, proof));
    },
    async block(blockNumber) {
      const block = await (await connected()).getBlock(blockNumber);
      return block ? { hash: block.hash!, timestamp: block.timestamp } : null;
    },
    async transaction(txHash) {
      const receipt = await (await connected()).getTransactionReceipt(txHash);
      if (!receipt) return null;
      return { success: receipt.status === 1, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, to: receipt.to };
    },
    close() {
      provider?.destroy();
    },
  };
}
