/**
 * What the two command-line verifiers (the `evidence-anchor` CLI and a bundle's verify.mjs) take from
 * their arguments the same way: bad usage, --timeout in seconds, a file read with its reason, --tsa-ca.
 */
import { readFileSync } from "node:fs";

/** Bad usage: the verifiers print it with their usage text and exit 2. */
export class UsageError extends Error {}

export function timeoutSeconds(text: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0 && value <= 3600)) {
    throw new UsageError(`--timeout must be a number of seconds, above 0 and at most 3600, not '${text}'`);
  }
  return value;
}

/** A file's text, or an error naming the file and why it could not be read. */
export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** A --tsa-ca file: PEM certificates. */
export function readPem(path: string): string {
  const text = readText(path);
  if (!text.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`${path} is not a PEM certificate (--tsa-ca)`);
  return text;
}
