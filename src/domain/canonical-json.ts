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
export function illFormedStringPath(value: unknown): string | undefined {
  // A stack of its own, not recursion: a value nested thousands deep must not exhaust the call stack.
  const pending: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  while (pending.length > 0) {
    const { value: v, path } = pending.pop()!;
    if (typeof v === "string") {
      if (!v.isWellFormed()) return path.join(".") || "(the value)";
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    const entries = Object.entries(v);
    for (const [key] of entries) if (!key.isWellFormed()) return [...path, key.toWellFormed()].join(".");
    for (let i = entries.length - 1; i >= 0; i--) pending.push({ value: entries[i]![1], path: [...path, entries[i]![0]] });
  }
  return undefined;
}

/** The most levels of objects and arrays a value from outside may nest: far more than any document here has. */
export const MAX_JSON_DEPTH = 64;

/** Whether a value nests objects and arrays deeper than `max` (walked without recursion). */
export function nestedDeeperThan(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const { value: v, depth } = pending.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(v)) pending.push({ value: child, depth: depth + 1 });
  }
  return false;
}
