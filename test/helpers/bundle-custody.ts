/**
 * What a bundle's verifiers print for an item's custody.json that checks out, from the facts in the file
 * itself (its entries, their times, its anchored heads): the two lines under "Chain of custody".
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

type Json = Record<string, any>;

export function custodyLines(folder: string, online: boolean): string {
  const custody = JSON.parse(readFileSync(join(folder, "custody.json"), "utf8")) as Json;
  const shown = (custody.entries as Json[]).filter((l) => l.entry);
  const heads = custody.heads as Json[];
  const last = Math.max(...heads.map((h) => h.seq));
  const after = shown.filter((l) => l.seq > last).length;
  const log =
    `  ✓ custody log  ${shown.length} accesses of this item, ${shown[0]!.entry.at} to ${shown.at(-1)!.entry.at}, each hashed and chained to the entry before; ` +
    `${shown.length - after} covered by ${heads.length} anchored log head${heads.length === 1 ? "" : "s"}${after ? `, ${after} recorded after the last anchored head` : ""}`;
  const anchors = online
    ? `  ✓ custody anchors  ${heads.map((h) => `head ${h.seq}: anchorOf(root) = time ${h.anchor.timestamp}, block ${h.anchor.blockNumber}`).join("; ")}`
    : `  – custody anchors  not checked: ${heads.length === 1 ? "the log head's anchor is" : `the anchors of the ${heads.length} log heads are`} checked on the chain (--rpc)`;
  return `Chain of custody (custody.json):\n${log}\n${anchors}\n`;
}
