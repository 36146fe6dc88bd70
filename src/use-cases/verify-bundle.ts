/**
 * bundle → verify: every evidence item of an unpacked evidence bundle, verified as the CLI verifies one
 * receipt and its file (verify-receipt.ts), each against the time-stamp CAs its own folder carries; then,
 * for a capture, that every artifact its manifest lists is in the bundle; for a notice-and-takedown case,
 * that its steps are all there, in order, each naming the one before it by SHA-256. What reads the files
 * is the caller's: the file system for verify.mjs, the files a user picked for verify.html.
 */
import { CASE_STEP_WITHHELD, findBundleItems, ITEM_FILES, type BundleItemFiles } from "../domain/bundle-layout.ts";
import { sha256Hex } from "../domain/hashing.ts";
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
  /** For a bundle with captures: whether the artifacts each manifest lists are all here. */
  capture?: Check;
  /** For a case's bundle: whether its steps are all here, in order, each chained to the one before. */
  steps?: Check;
}

export async function verifyBundle(
  bundle: BundleFiles,
  options: { chains?: readonly ChainReader[]; tsaCas?: readonly string[] } = {},
): Promise<BundleVerification> {
  const items: BundleItemResult[] = [];
  for (const files of findBundleItems(bundle.paths)) items.push(await verifyBundleItem(bundle, files, options));
  const steps = await caseSteps(bundle, items);
  const manifests = items.filter((i) => i.receipt?.evidence.kind === "capture-manifest");
  if (manifests.length === 0) return { items, ...(steps ? { steps } : {}) };
  // A capture's own bundle: the manifest first, as it says what the capture is and names what follows.
  const ordered = manifests.length === 1 && !steps ? [manifests[0]!, ...items.filter((i) => i !== manifests[0])] : items;
  const checks = await Promise.all(manifests.map((m) => captureComplete(bundle, m, ordered)));
  const failed = checks.filter((c) => c.status === "fail");
  const capture: Check =
    checks.length === 1
      ? checks[0]!
      : {
          id: "capture.complete",
          label: "captures complete",
          status: failed.length ? "fail" : "pass",
          detail: (failed.length ? failed : checks).map((c) => c.detail).join("; "),
        };
  return { items: ordered, capture, ...(steps ? { steps } : {}) };
}

/**
 * The steps of a case: numbered 1 to n with none missing, all of one case, the first naming no step
 * before it and each other naming the one before by SHA-256 (and evidence id, where that step has its
 * receipt here). A step's document is found by its receipt (kind case-event), or, for a step not anchored
 * when the bundle was made, as a case-event JSON file in a numbered step folder: it is then in the chain,
 * but its time is not proven (a warning).
 */
async function caseSteps(bundle: BundleFiles, items: BundleItemResult[]): Promise<Check | undefined> {
  const base = { id: "case.steps", label: "the case's steps" };
  type Step = {
    case?: unknown;
    seq?: unknown;
    version?: unknown;
    previous?: { evidenceId?: unknown; sha256?: unknown } | null;
    /** A withheld step's marker: what the next step names of it, and why it is not here. */
    evidenceId?: unknown;
    sha256?: unknown;
    reason?: unknown;
  };
  const anchored = new Map(items.filter((i) => i.receipt?.evidence.kind === "case-event" && i.files.file).map((i) => [i.files.file!, i]));
  const loose = bundle.paths.filter(
    (p) => /^\d{2,}-[^/]+\/[^/]+\.json$/.test(p) && !anchored.has(p) && !Object.values(ITEM_FILES).includes(p.split("/")[1] as never),
  );
  const steps: { doc: Step; path: string; sha256: string; evidenceId?: string; withheld?: string }[] = [];
  for (const path of [...anchored.keys(), ...loose]) {
    let doc: Step;
    const bytes = await bundle.read(path);
    try {
      doc = JSON.parse(new TextDecoder().decode(bytes)) as Step;
    } catch (error) {
      if (!anchored.has(path)) continue; // not a step's document
      return { ...base, status: "fail", detail: `${path} cannot be read as a step: ${message(error)}` };
    }
    if (doc?.version === CASE_STEP_WITHHELD) {
      steps.push({ doc, path, sha256: String(doc.sha256), evidenceId: String(doc.evidenceId), withheld: String(doc.reason) });
      continue;
    }
    if (doc?.version !== "case-event/v1") continue;
    steps.push({ doc, path, sha256: sha256Hex(bytes), evidenceId: anchored.get(path)?.receipt?.evidence.id });
  }
  if (steps.length === 0) return undefined;
  steps.sort((a, b) => Number(a.doc.seq) - Number(b.doc.seq));
  const cases = new Set(steps.map((s) => String(s.doc.case)));
  if (cases.size !== 1) return { ...base, status: "fail", detail: `the steps name ${cases.size} cases: ${[...cases].join(", ")}` };
  for (const [i, step] of steps.entries()) {
    if (step.doc.seq !== i + 1) {
      return {
        ...base,
        status: "fail",
        detail: `step ${i + 1} is not in this bundle (next is step ${String(step.doc.seq)}, ${step.path})`,
      };
    }
    if (step.withheld) continue; // its document is not here: the next step is checked against its marker
    const before = steps[i - 1];
    const named = step.doc.previous ?? null;
    const ok = before
      ? named?.sha256 === before.sha256 && (before.evidenceId === undefined || named?.evidenceId === before.evidenceId)
      : named === null;
    if (!ok) {
      const expected = before ? `SHA-256 ${before.sha256}${before.evidenceId ? ` (evidence ${before.evidenceId})` : ""}` : "none";
      return {
        ...base,
        status: "fail",
        detail: `step ${i + 1} (${step.path}) names as the step before it ${JSON.stringify(named)}, not ${expected}`,
      };
    }
  }
  const chained = `steps 1 to ${steps.length} of case ${[...cases][0]} are here, each naming the one before it by SHA-256`;
  const withheld = steps.filter((s) => s.withheld);
  if (withheld.length) {
    const which = withheld.map((s) => `step ${String(s.doc.seq)} (${s.withheld})`).join("; ");
    return {
      ...base,
      status: "warn",
      detail: `steps 1 to ${steps.length} of case ${[...cases][0]} are in order, each naming the one before it by SHA-256; withheld from this bundle's reader, its content and time not checked here: ${which}`,
    };
  }
  const unproven = steps.filter((s) => !anchored.has(s.path)).map((s) => Number(s.doc.seq));
  if (unproven.length) {
    return {
      ...base,
      status: "warn",
      detail: `${chained}; step${unproven.length > 1 ? "s" : ""} ${unproven.join(", ")} had no receipt when the bundle was made: ${unproven.length > 1 ? "their" : "its"} time is not proven (download the bundle again once anchored)`,
    };
  }
  return { ...base, status: "pass", detail: `${chained} (the receipts above prove each step's time and content)` };
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
