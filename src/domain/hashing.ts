/** SHA-256. Evidence hashes are lowercase hex without 0x, as `sha256sum` prints. */
import { createHash } from "node:crypto";

export type Sha256Hex = string;

export const SHA256_HEX = /^[0-9a-f]{64}$/;

export function sha256Hex(data: Uint8Array | string): Sha256Hex {
  return createHash("sha256").update(data).digest("hex");
}

/** `0x`-prefixed bytes32 form of a SHA-256, as Solidity and the Merkle tree take it. */
export function toBytes32(hex: Sha256Hex): `0x${string}` {
  return `0x${hex}`;
}

/** SHA-256 as bytes, for formats that carry the raw digest (an RFC 3161 message imprint). */
export function sha256Bytes(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}
