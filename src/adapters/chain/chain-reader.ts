/** ChainReader over a JSON-RPC endpoint with ethers (read-only calls); fetch-chain-reader.ts is the same without ethers. */
import { Contract, type JsonRpcProvider } from "ethers";
import { AppError, Errors } from "../../errors.ts";
import type { ChainReader } from "../../ports/chain-reader.ts";
import { registryArtifact } from "./artifact.ts";
import { DEFAULT_RPC_TIMEOUT_MS, readChainId } from "./json-rpc.ts";
import { rpcProvider } from "./provider.ts";
import { readRegistryVersion } from "./registry-version.ts";

export { DEFAULT_RPC_TIMEOUT_MS };

export interface ChainReaderOptions {
  /** Deadline per JSON-RPC call. @default DEFAULT_RPC_TIMEOUT_MS (15 s) */
  timeoutMs?: number;
}

export function jsonRpcChainReader(url: string, options: ChainReaderOptions = {}): ChainReader {
  const timeoutMs = options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
  // The provider is made once the chain id is known: ethers would otherwise probe the endpoint in a
  // loop, printing to the console, when it is down.
  let provider: JsonRpcProvider | undefined;
  let chainId: Promise<number> | undefined;
  const connected = async () => (provider ??= rpcProvider(url, await (chainId ??= fetchChainId()), { timeoutMs }));
  const fetchChainId = () => readChainId(url, timeoutMs);
  const registry = async (address: string) => new Contract(address, registryArtifact.abi, await connected());
  return {
    endpoint: url,
    chainId: () => (chainId ??= fetchChainId()),
    async anchorOf(address, root) {
      const [timestamp, blockNumber] = await (await registry(address)).getFunction("anchorOf")(root);
      return { timestamp: Number(timestamp), blockNumber: Number(blockNumber) };
    },
    async registryVersion(address) {
      return readRegistryVersion(await connected(), address);
    },
    async registryVerify(address, root, leafHash, proof) {
      return Number(await (await registry(address)).getFunction("verify")(root, leafHash, proof));
    },
    async registryVerifyItem(address, root, contentSha256, metadataSha256, proof) {
      return Number(await (await registry(address)).getFunction("verifyItem")(root, contentSha256, metadataSha256, proof));
    },
    async genesisHash() {
      const genesis = await (await connected()).getBlock(0);
      if (!genesis?.hash) throw new AppError(Errors.CHAIN_UNAVAILABLE, { reason: "the endpoint has no block 0" });
      return genesis.hash;
    },
    async blockNumber() {
      return (await connected()).getBlockNumber();
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
