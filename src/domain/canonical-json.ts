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

/**
 * Where a value holds a string that is not well-formed Unicode (a lone surrogate), as a path such as
 * `title` or `attributes.colour`; undefined if none. RFC 8785 (like I-JSON, RFC 7493) cannot represent
 * such strings, so they are refused at the edge rather than failing deep inside a hash.
 */
export function illFormedStringPath(value: unknown, path: string[] = []): string | undefined {
  if (typeof value === "string") return value.isWellFormed() ? undefined : path.join(".") || "(the value)";
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (!key.isWellFormed()) return [...path, key.toWellFormed()].join(".");
    const found = illFormedStringPath(child, [...path, key]);
    if (found) return found;
  }
  return undefined;
}
