/**
 * RFC 8785 (JSON Canonicalization Scheme): the same object always gives the same bytes, whatever the
 * key order or number formatting of the JSON it came from, so a hash of it can be recomputed by anyone.
 */
import canonicalize from "canonicalize";
import { sha256Hex, type Sha256Hex } from "./hashing.ts";

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value has no JSON representation");
  return text;
}

export function canonicalJsonSha256(value: unknown): Sha256Hex {
  return sha256Hex(canonicalJson(value));
}
