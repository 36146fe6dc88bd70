/**
 * The ChainReader with fetch and the registry's ABI-encoded calls (domain/registry-calls.ts), without
 * ethers: what the evidence bundle's verify.mjs and verify.html read the chain with, small enough to be
 * carried in them. It answers as chain-reader.ts does (the same integration tests run on both): a revert
 * is the contract's answer (ContractReverted), an endpoint that fails us is CHAIN_UNAVAILABLE.
 */
import {
  AbiDecodeError,
  anchorOfData,
  decodeAnchor,
  decodeString,
  decodeTimestamp,
  verifyData,
  verifyItemData,
  versionData,
} from "../../domain/registry-calls.ts";
import type { ChainReader } from "../../ports/chain-reader.ts";
import { DEFAULT_RPC_TIMEOUT_MS, isRevert, readChainId, rpcAnswer, rpcCall, unavailable } from "./json-rpc.ts";

/** The registry reverted the call: its answer, not the endpoint's failure. */
export class ContractReverted extends Error {
  override readonly name = "ContractReverted";
  /** The revert data, "0x" for none. */
  readonly data: string;
  constructor(call: string, data: string) {
    super(`${call} reverted (${data === "0x" ? "no data" : `data ${data}`})`);
    this.data = data;
  }
}

export function fetchChainReader(url: string, options: { timeoutMs?: number } = {}): ChainReader {
  const timeoutMs = options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
  let chainId: Promise<number> | undefined;
  const rpc = (method: string, params: unknown[]) => rpcCall(url, method, params, timeoutMs);

  /** eth_call at the latest block: its result data, or ContractReverted. */
  const call = async (name: string, to: string, data: string): Promise<string> => {
    const answer = await rpcAnswer(url, "eth_call", [{ to, data }, "latest"], timeoutMs);
    if (answer.error) {
      if (!isRevert(answer.error)) throw unavailable(`eth_call: ${answer.error.message ?? "an error without a message"}`);
      const revertData = typeof answer.error.data === "string" && /^0x[0-9a-f]*$/i.test(answer.error.data) ? answer.error.data : "0x";
      throw new ContractReverted(name, revertData);
    }
    if (typeof answer.result !== "string") throw unavailable(`eth_call ${name} answered ${JSON.stringify(answer.result)?.slice(0, 80)}`);
    return answer.result;
  };
  /** A result that does not decode: the endpoint answered nonsense, or there is no contract at the address. */
  const decoded = <T>(name: string, decode: () => T): T => {
    try {
      return decode();
    } catch (error) {
      if (error instanceof AbiDecodeError) throw new AbiDecodeError(`${name}: ${error.message}`);
      throw error;
    }
  };
  const block = async (tag: string) => {
    const answer = (await rpc("eth_getBlockByNumber", [tag, false])) as { hash?: unknown; timestamp?: unknown } | null;
    if (answer === null) return null;
    if (typeof answer?.hash !== "string" || typeof answer.timestamp !== "string") {
      throw unavailable(`eth_getBlockByNumber(${tag}) answered ${JSON.stringify(answer)?.slice(0, 80)}, not a block`);
    }
    return { hash: answer.hash, timestamp: Number(answer.timestamp) };
  };

  return {
    endpoint: url,
    chainId: () => (chainId ??= readChainId(url, timeoutMs)),
    async anchorOf(registry, root) {
      const data = await call("anchorOf", registry, anchorOfData(root));
      const { timestamp, blockNumber } = decoded("anchorOf", () => decodeAnchor(data));
      return { timestamp, blockNumber };
    },
    async registryVersion(registry) {
      // The first registry has no VERSION(): its call reverts without data, or, with no code, returns nothing.
      try {
        const data = await call("VERSION", registry, versionData());
        return data === "0x" ? "1" : decoded("VERSION", () => decodeString(data));
      } catch (error) {
        if (error instanceof ContractReverted && error.data === "0x") return "1";
        throw error;
      }
    },
    async registryVerify(registry, root, leafHash, proof) {
      const data = await call("verify", registry, verifyData(root, leafHash, proof));
      return decoded("verify", () => decodeTimestamp(data));
    },
    async registryVerifyItem(registry, root, contentSha256, metadataSha256, proof) {
      const data = await call("verifyItem", registry, verifyItemData(root, contentSha256, metadataSha256, proof));
      return decoded("verifyItem", () => decodeTimestamp(data));
    },
    async genesisHash() {
      const genesis = await block("0x0");
      if (!genesis) throw unavailable("the endpoint has no block 0");
      return genesis.hash;
    },
    async blockNumber() {
      const answer = await rpc("eth_blockNumber", []);
      if (typeof answer !== "string" || !/^0x[0-9a-f]+$/i.test(answer))
        throw unavailable(`eth_blockNumber answered ${JSON.stringify(answer)}`);
      return Number(answer);
    },
    block: (blockNumber) => block(`0x${blockNumber.toString(16)}`),
    async transaction(txHash) {
      const receipt = (await rpc("eth_getTransactionReceipt", [txHash])) as Record<string, unknown> | null;
      if (receipt === null) return null;
      const { status, blockNumber, blockHash, to } = receipt ?? {};
      if (typeof status !== "string" || typeof blockNumber !== "string" || typeof blockHash !== "string") {
        throw unavailable(`eth_getTransactionReceipt answered ${JSON.stringify(receipt)?.slice(0, 80)}, not a receipt`);
      }
      return { success: Number(status) === 1, blockNumber: Number(blockNumber), blockHash, to: typeof to === "string" ? to : null };
    },
    close() {
      // Nothing held open: each exchange is one fetch, ended by its deadline.
    },
  };
}
