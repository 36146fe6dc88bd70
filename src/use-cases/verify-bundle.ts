/**
 * bundle → verify: every evidence item of an unpacked evidence bundle, verified as the CLI verifies one
 * receipt and its file (verify-receipt.ts), each against the time-stamp CAs its own folder carries; then,
 * for a capture, that every artifact its manifest lists is in the bundle. What reads the files is the
 * caller's: the file system for verify.mjs, the files a user picked for verify.html.
 */
import { findBundleItems, type BundleItemFiles } from "../domain/bundle-layout.ts";
import { fileFacts } from "../domain/content-id.ts";
import { parseReceipt } from "../domain/receipt-schema.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";
import type { ChainReader } from "../ports/chain-reader.ts";
import { verifyBundledCustody } from "./verify-custody.ts";
import { verifyReceipt, type Check, type Verification } from "./verify-receipt.ts";

export interface BundleFiles {
  /** Every file's path in the bundle, "/" separated. */
  paths: readonly string[];
  read(path: string): Promise<Uint8Array>;
  stream(path: string): AsyncIterable<Uint8Array>;
}

export interface BundleItemResult {
  files: BundleItemFiles;
  receipt?: EvidenceReceipt;
  verification?: Verification;
  /** Its chain of custody (custody.json): the log itself, then its anchored heads on the chain. */
  custody?: Check[];
  /** Why the item could not be verified in full: an unreadable receipt, a missing or unreadable file. */
  problem?: string;
}

export interface BundleVerification {
  items: BundleItemResult[];
  /** For a capture's bundle: whether the artifacts its manifest lists are all here. */
  capture?: Check;
}

export async function verifyBundle(
  bundle: BundleFiles,
  options: { chains?: readonly ChainReader[]; tsaCas?: readonly string[] } = {},
): Promise<BundleVerification> {
  const items: BundleItemResult[] = [];
  for (const files of findBundleItems(bundle.paths)) items.push(await verifyBundleItem(bundle, files, options));
  const manifest = items.find((i) => i.receipt?.evidence.kind === "capture-manifest");
  if (!manifest) return { items };
  // The manifest first: it says what the capture is, and names the artifacts that follow.
  const ordered = [manifest, ...items.filter((i) => i !== manifest)];
  return { items: ordered, capture: await captureComplete(bundle, manifest, ordered) };
}

/** One item; `tsaCas` replaces the CAs its folder carries (a CA the verifier obtained from the TSA itself). */
export async function verifyBundleItem(
  bundle: Pick<BundleFiles, "read" | "stream">,
  files: BundleItemFiles,
  options: { chains?: readonly ChainReader[]; tsaCas?: readonly string[] } = {},
): Promise<BundleItemResult> {
  let parsed: ReturnType<typeof parseReceipt>;
  try {
    parsed = parseReceipt(JSON.parse(new TextDecoder().decode(await bundle.read(files.receipt))));
  } catch (error) {
    return { files, problem: `${files.receipt} ${error instanceof SyntaxError ? "is not JSON" : `cannot be read: ${message(error)}`}` };
  }
  if ("error" in parsed) return { files, problem: `${files.receipt} is not an evidence receipt: ${parsed.error}` };
  const tsaTrustAnchors = options.tsaCas ? [...options.tsaCas] : [];
  if (!options.tsaCas) for (const path of files.tsaCas) tsaTrustAnchors.push(new TextDecoder().decode(await bundle.read(path)));
  let file: Awaited<ReturnType<typeof fileFacts>> | undefined;
  let problem = files.problem;
  if (files.file) {
    try {
      file = await fileFacts(bundle.stream(files.file));
    } catch (error) {
      problem = `${files.file} cannot be read: ${message(error)}`;
    }
  }
  const verification = await verifyReceipt({ receipt: parsed.receipt, file, chains: options.chains ?? [], tsaTrustAnchors });
  const custody = await verifyBundledCustody(
    parsed.receipt,
    files.custody ? () => bundle.read(files.custody!) : undefined,
    verification.chainReachable ? (options.chains ?? []) : [],
  );
  return { files, receipt: parsed.receipt, verification, custody, ...(problem ? { problem } : {}) };
}

/** The manifest is anchored, and it names each artifact by SHA-256: each must be in the bundle with its receipt. */
async function captureComplete(bundle: BundleFiles, manifest: BundleItemResult, items: BundleItemResult[]): Promise<Check> {
  const base = { id: "capture.complete", label: "capture complete" };
  let listed: { role?: unknown; sha256?: unknown }[];
  try {
    const json = JSON.parse(new TextDecoder().decode(await bundle.read(manifest.files.file!))) as { artifacts?: unknown };
    if (!Array.isArray(json.artifacts)) throw new TypeError("no artifacts list");
    listed = json.artifacts;
  } catch (error) {
    return { ...base, status: "fail", detail: `the capture manifest ${manifest.files.file ?? ""} cannot be read: ${message(error)}` };
  }
  const here = new Map(items.flatMap((i) => (i.receipt ? [[i.receipt.evidence.sha256, i] as const] : [])));
  const missing = listed.filter((a) => !here.has(String(a.sha256)));
  if (missing.length) {
    const names = missing.map((a) => `the ${String(a.role)} (SHA-256 ${String(a.sha256)})`).join(", ");
    return { ...base, status: "fail", detail: `the manifest lists ${names}, which this bundle does not hold with a receipt` };
  }
  const folders = listed.map((a) => here.get(String(a.sha256))!.files.file ?? here.get(String(a.sha256))!.files.folder);
  return {
    ...base,
    status: "pass",
    detail: `the ${listed.length} artifacts the manifest lists are here, each with its receipt: ${folders.join(", ")}`,
  };
}

function message(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? (error instanceof Error ? error.message : String(error));
}
