/**
 * NDJSON (newline-delimited JSON, application/x-ndjson): one JSON text per line. A final newline ends the
 * last line rather than starting an empty one; `\r\n` line ends are accepted. Lines are numbered from 1,
 * as an editor numbers them, so a per-line answer points at the line the client sent.
 */
import { AppError, Errors } from "../errors.ts";

export type NdjsonLine = { line: number; value: unknown } | { line: number; error: AppError };

export function ndjsonLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** Each line parsed on its own: a malformed line is answered, and the others still count. */
export function parseNdjsonLine(text: string, line: number): NdjsonLine {
  try {
    return { line, value: JSON.parse(text) };
  } catch {
    return { line, error: new AppError(Errors.MALFORMED_JSON) };
  }
}
