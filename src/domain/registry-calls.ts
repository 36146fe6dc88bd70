/**
 * The registry's read-only calls as the bytes of a JSON-RPC `eth_call`: each function's ABI, its 4-byte
 * selector (the first 4 bytes of keccak-256 of its signature), its arguments ABI-encoded, and its answer
 * decoded. It is all a verifier needs to read the registry with any HTTP client, and what README.txt
 * prints for `curl`. Pure; the ABIs are checked against the compiled registry in a unit test.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";

type Param = { name: string; type: string };
export interface AbiFunction {
  type: "function";
  name: string;
  stateMutability: "view";
  inputs: Param[];
  outputs: Param[];
}

const fn = (name: string, inputs: Param[], outputs: Param[]): AbiFunction => ({
  type: "function",
  name,
  stateMutability: "view",
  inputs,
  outputs,
});
const bytes32 = (name: string): Param => ({ name, type: "bytes32" });
const uint64 = (name: string): Param => ({ name, type: "uint64" });
const proof: Param = { name: "proof", type: "bytes32[]" };

/** As in contracts/IEvidenceRegistry.sol. */
export const REGISTRY_ABI = {
  anchorOf: fn("anchorOf", [bytes32("root")], [uint64("timestamp"), uint64("blockNumber"), { name: "submitter", type: "address" }]),
  verifyItem: fn("verifyItem", [bytes32("root"), bytes32("contentSha256"), bytes32("metadataSha256"), proof], [uint64("timestamp")]),
  verify: fn("verify", [bytes32("root"), bytes32("leaf"), proof], [uint64("timestamp")]),
  VERSION: fn("VERSION", [], [{ name: "", type: "string" }]),
} as const;

/** `anchorOf(bytes32)`: what the selector is the hash of. */
export function signatureOf(f: AbiFunction): string {
  return `${f.name}(${f.inputs.map((p) => p.type).join(",")})`;
}

/** `function anchorOf(bytes32 root) view returns (uint64 timestamp, …)`, as Solidity and ethers write it. */
export function declarationOf(f: AbiFunction): string {
  const list = (params: Param[]) => params.map((p) => (p.name ? `${p.type} ${p.name}` : p.type)).join(", ");
  return `function ${f.name}(${list(f.inputs)}) view returns (${list(f.outputs)})`;
}

/** 0x and 8 hex digits. */
export function selectorOf(f: AbiFunction): string {
  return `0x${Buffer.from(keccak_256(Buffer.from(signatureOf(f))))
    .subarray(0, 4)
    .toString("hex")}`;
}

export function anchorOfData(root: string): string {
  return selectorOf(REGISTRY_ABI.anchorOf) + word(root);
}

export function verifyItemData(root: string, contentSha256: string, metadataSha256: string, proofs: readonly string[]): string {
  // Three static words, then the offset of the dynamic array (4 head words = 128 bytes), its length and items.
  return selectorOf(REGISTRY_ABI.verifyItem) + word(root) + word(contentSha256) + word(metadataSha256) + uint(128) + array(proofs);
}

export function verifyData(root: string, leaf: string, proofs: readonly string[]): string {
  return selectorOf(REGISTRY_ABI.verify) + word(root) + word(leaf) + uint(96) + array(proofs);
}

export function versionData(): string {
  return selectorOf(REGISTRY_ABI.VERSION);
}

/** anchorOf's answer: three words. */
export function decodeAnchor(data: string): { timestamp: number; blockNumber: number; submitter: string } {
  const words = wordsOf(data, 3);
  return { timestamp: small(words[0]!), blockNumber: small(words[1]!), submitter: `0x${words[2]!.slice(24)}` };
}

/** verify's and verifyItem's answer: the anchor's time, or 0. */
export function decodeTimestamp(data: string): number {
  return small(wordsOf(data, 1)[0]!);
}

/** A `string` answer: an offset, a length, the UTF-8 bytes. */
export function decodeString(data: string): string {
  const hex = body(data);
  const offset = small(hex.slice(0, 64)) * 2;
  const length = small(hex.slice(offset, offset + 64)) * 2;
  const bytes = hex.slice(offset + 64, offset + 64 + length);
  if (bytes.length !== length) throw new AbiDecodeError(`a string answer of ${hex.length / 2} bytes is too short`);
  return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(bytes, "hex"));
}

/** An answer that is not what the function returns: the endpoint's fault, or no contract at the address. */
export class AbiDecodeError extends Error {
  override readonly name = "AbiDecodeError";
}

function word(bytes32Hex: string): string {
  const hex = bytes32Hex.replace(/^0x/, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new TypeError(`not a bytes32: ${bytes32Hex}`);
  return hex.toLowerCase();
}

function uint(value: number): string {
  return value.toString(16).padStart(64, "0");
}

function array(items: readonly string[]): string {
  return uint(items.length) + items.map(word).join("");
}

function body(data: string): string {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(data)) throw new AbiDecodeError(`the answer ${JSON.stringify(data.slice(0, 80))} is not hex data`);
  return data.slice(2).toLowerCase();
}

function wordsOf(data: string, count: number): string[] {
  const hex = body(data);
  if (hex.length < count * 64) throw new AbiDecodeError(`the answer has ${hex.length / 2} bytes; ${count * 32} expected`);
  return Array.from({ length: count }, (_, i) => hex.slice(i * 64, (i + 1) * 64));
}

/** A uint64 word (block numbers, times, offsets) as a number. */
function small(wordHex: string): number {
  const value = BigInt(`0x${wordHex || "0"}`);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new AbiDecodeError(`the value 0x${wordHex} is out of range`);
  return Number(value);
}
