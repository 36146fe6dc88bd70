/**
 * The case bundle: one zip with a notice-and-takedown case's whole record for a lawyer. At its root an
 * INDEX.txt (plain English) and index.json (the same, machine-readable, with the case's timeline as the
 * API gives it), the README and the bundle verifiers; then one folder per step of the case, in order
 * (01-notice.filed/, 02-notice.decided/, …), each holding the step's document with its proof files as an
 * evidence bundle lays them out (domain/bundle-layout.ts) and its certificate.pdf, and below it the
 * takedown snapshots and captures that step asked for, each in a folder of its own. An item not anchored
 * yet comes as its document alone (no receipt.json: the verifiers pass it by), and the index says so.
 */
import { Readable } from "node:stream";
import yazl from "yazl";
import {
  BUNDLE_FILES,
  ITEM_FILES,
  safeFileName,
  timestampFileName,
  tsaCaFileName,
  CASE_STEP_WITHHELD,
  WITHHELD_FILE,
} from "../domain/bundle-layout.ts";
import { bundleReadme, type ReadmeItem } from "./bundle-readme.ts";
import { addItem, addVerifiers, type BundleItem, captureItems } from "./evidence-bundle.ts";

const DEVELOPMENT_CHAIN_HEADING = "On a development chain\n";

export const CASE_BUNDLE_FORMAT = "case-bundle/v1";
export const CASE_INDEX_FILES = { text: "INDEX.txt", json: "index.json" } as const;

/** One evidence item of the case, as the use-case found it. */
export interface CaseItem {
  evidence: {
    id: string;
    sha256: string;
    size: number;
    mediaType: string;
    status: string;
    anchor?: { chainId: number; blockNumber: number; txHash: string };
  };
  /** Anchored: the item's proof files, as an evidence bundle holds them. */
  proof?: BundleItem;
  /** Not anchored: its bytes alone (checked against its SHA-256), and why there is no receipt. */
  unanchored?: { content: AsyncIterable<Uint8Array>; reason: string };
  /** Its fixed certificate, or why there is none yet. */
  certificate?: Buffer;
  certificateMissing?: string;
}

export interface CaseCaptureInput {
  captureId: string;
  listingId: string;
  purpose: string;
  status: string;
  /** The manifest and its artifacts, once the capture's evidence is anchored. */
  evidence?: { manifest: CaseItem & { proof: BundleItem }; artifacts: (BundleItem & { role: string })[] };
  /** Why the capture's evidence is not here. */
  missing?: string;
}

export interface CaseStepInput {
  seq: number;
  type: string;
  at: string;
  /** Who took it: an account, or the service (a deadline passed, captures ended). */
  actor: { accountId: string; name: string; role: string } | { service: true };
  /** Its document, or what places it in the chain when it is withheld from the bundle's reader. */
  document: CaseItem | { withheld: { evidenceId: string; sha256: string; reason: string } };
  takedownSnapshots: (CaseItem & { listingId: string })[];
  captures: CaseCaptureInput[];
}

export interface CaseBundleInput {
  case: Record<string, unknown> & { id: string; status: string };
  parties: { accountId: string; name: string; role: string }[];
  steps: CaseStepInput[];
  /** The case as GET /v1/notices/:id gives it. */
  timeline: unknown;
  generatedAt: Date;
  developmentChainIds?: readonly number[];
}

interface IndexedItem {
  evidenceId: string;
  sha256: string;
  size: number;
  mediaType: string;
  anchor: { status: string; chainId?: number; blockNumber?: number; txHash?: string };
  folder: string;
  /** The item's own file (its document, snapshot or manifest). */
  file: string;
  /** Every file of the item in the bundle, as paths from the bundle's root. */
  files: string[];
  /** What the bundle lacks of it, and why. */
  missing: { file: string; reason: string }[];
}

export function caseBundleZip(input: CaseBundleInput): Readable {
  const zip = new yazl.ZipFile();
  const mtime = input.generatedAt;
  const anchored: ReadmeItem[] = [];
  const width = Math.max(2, String(input.steps.length).length);

  const place = (item: CaseItem, folder: string, fileName: string, title: string): IndexedItem => {
    const at = (name: string) => `${folder}/${name}`;
    const indexed: IndexedItem = {
      evidenceId: item.evidence.id,
      sha256: item.evidence.sha256,
      size: item.evidence.size,
      mediaType: item.evidence.mediaType,
      anchor: { status: item.evidence.status, ...(item.evidence.anchor ?? {}) },
      folder: `${folder}/`,
      file: at(fileName),
      files: [],
      missing: [],
    };
    if (item.proof) {
      const placed = { ...item.proof, folder, fileName, title };
      addItem(zip, placed, mtime);
      anchored.push(placed);
      indexed.files.push(...proofFiles(item.proof, fileName).map(at));
    } else {
      zip.addReadStream(Readable.from(item.unanchored!.content), at(fileName), { mtime });
      indexed.files.push(at(fileName));
      indexed.missing.push({ file: at(ITEM_FILES.receipt), reason: item.unanchored!.reason });
    }
    if (item.certificate) {
      zip.addBuffer(item.certificate, at(BUNDLE_FILES.certificate), { mtime });
      indexed.files.push(at(BUNDLE_FILES.certificate));
    } else {
      indexed.missing.push({ file: at(BUNDLE_FILES.certificate), reason: item.certificateMissing ?? "not made" });
    }
    return indexed;
  };

  // A withheld step: a marker with what the next step names of it, so the chain of steps still holds.
  const withhold = (
    step: CaseStepInput,
    w: { evidenceId: string; sha256: string; reason: string },
    folder: string,
    fileName: string,
  ): IndexedItem => {
    const marker = {
      version: CASE_STEP_WITHHELD,
      case: input.case.id,
      seq: step.seq,
      type: step.type,
      evidenceId: w.evidenceId,
      sha256: w.sha256,
      reason: w.reason,
    };
    zip.addBuffer(Buffer.from(`${JSON.stringify(marker, null, 2)}\n`), `${folder}/${WITHHELD_FILE}`, { mtime });
    return {
      evidenceId: w.evidenceId,
      sha256: w.sha256,
      size: 0,
      mediaType: "application/json",
      anchor: { status: "withheld" },
      folder: `${folder}/`,
      file: `${folder}/${fileName}`,
      files: [`${folder}/${WITHHELD_FILE}`],
      missing: [{ file: `${folder}/${fileName}`, reason: `withheld: ${w.reason}` }],
    };
  };

  const steps = input.steps.map((step) => {
    const folder = `${String(step.seq).padStart(width, "0")}-${safeFileName(step.type, "step")}`;
    const sub = uniqueFolders(folder);
    const fileName = `${safeFileName(step.type, "step")}.json`;
    const document =
      "withheld" in step.document
        ? withhold(step, step.document.withheld, folder, fileName)
        : place(step.document, folder, fileName, `step ${step.seq}: ${step.type}`);
    const takedownSnapshots = step.takedownSnapshots.map((s) => ({
      listingId: s.listingId,
      ...place(s, sub(`takedown-snapshot-${s.listingId}`), "listing-snapshot.json", `the takedown snapshot of listing ${s.listingId}`),
    }));
    const captures = step.captures.map((c) => {
      const base = { captureId: c.captureId, listingId: c.listingId, purpose: c.purpose, status: c.status };
      if (!c.evidence) return { ...base, folder: null, manifest: null, artifacts: [], missing: c.missing ?? "" };
      const folder = sub(`capture-${c.purpose}-${c.listingId}`);
      const [manifest, ...artifacts] = captureItems(folder, c.evidence.manifest.proof, c.evidence.artifacts);
      const indexedManifest = place(
        c.evidence.manifest,
        manifest!.folder,
        manifest!.fileName,
        `the ${c.purpose} capture of listing ${c.listingId}`,
      );
      const indexedArtifacts = artifacts.map((a, i) => {
        addItem(zip, a, mtime);
        anchored.push(a);
        const role = c.evidence!.artifacts[i]!.role;
        const files = proofFiles(a, a.fileName).map((name) => `${a.folder}/${name}`);
        return {
          role,
          evidenceId: a.receipt.evidence.id,
          sha256: a.receipt.evidence.sha256,
          folder: `${a.folder}/`,
          file: files[0]!,
          files,
        };
      });
      return { ...base, folder: `${folder}/`, manifest: indexedManifest, artifacts: indexedArtifacts, missing: null };
    });
    return { seq: step.seq, type: step.type, at: step.at, actor: step.actor, document, takedownSnapshots, captures };
  });

  const index = {
    format: CASE_BUNDLE_FORMAT,
    generatedAt: input.generatedAt.toISOString(),
    case: input.case,
    parties: input.parties,
    steps,
    timeline: input.timeline,
  };
  zip.addBuffer(Buffer.from(`${JSON.stringify(index, null, 2)}\n`), CASE_INDEX_FILES.json, { mtime });
  zip.addBuffer(Buffer.from(indexText(index)), CASE_INDEX_FILES.text, { mtime });
  addVerifiers(zip, readmeOf(input, anchored), mtime);
  zip.end();
  return zip.outputStream as Readable;
}

/** The names of an anchored item's files in its folder, the item's own file first (as addItem writes them). */
function proofFiles(item: BundleItem, fileName: string): string[] {
  const stamps = item.receipt.timestamps ?? [];
  return [
    fileName,
    ITEM_FILES.receipt,
    ITEM_FILES.metadata,
    ITEM_FILES.car,
    ITEM_FILES.custody,
    ...(stamps.length ? [ITEM_FILES.root] : []),
    ...stamps.flatMap((_, i) => [timestampFileName(i + 1), ...(item.tsaCas[i] ? [tsaCaFileName(i + 1)] : [])]),
  ];
}

/** Folder names under `parent`, made safe and distinct (two listing ids may read alike once made safe). */
function uniqueFolders(parent: string) {
  const used = new Set<string>();
  return (name: string) => {
    const safe = safeFileName(name.replace(/[^A-Za-z0-9._-]+/g, "-"), "item");
    let folder = `${parent}/${safe}`;
    for (let n = 2; used.has(folder.toLowerCase()); n++) folder = `${parent}/${safe}-${n}`;
    used.add(folder.toLowerCase());
    return folder;
  };
}

type Index = {
  generatedAt: string;
  case: CaseBundleInput["case"];
  parties: CaseBundleInput["parties"];
  steps: {
    seq: number;
    type: string;
    at: string;
    actor: CaseStepInput["actor"];
    document: IndexedItem;
    takedownSnapshots: (IndexedItem & { listingId: string })[];
    captures: {
      captureId: string;
      listingId: string;
      purpose: string;
      status: string;
      folder: string | null;
      manifest: IndexedItem | null;
      artifacts: { role: string; evidenceId: string; sha256: string; folder: string; files: string[] }[];
      missing: string | null;
    }[];
  }[];
};

const anchorLine = (a: IndexedItem["anchor"]) =>
  a.status === "withheld"
    ? "withheld from this bundle's reader (its SHA-256 is the one the next step names)"
    : a.status === "anchored"
      ? `anchored on chain ${a.chainId}, block ${a.blockNumber}, transaction ${a.txHash}`
      : `${a.status}: not anchored yet`;

function itemLines(item: IndexedItem, indent: string): string[] {
  return [
    `${indent}evidence   ${item.evidenceId}`,
    `${indent}SHA-256    ${item.sha256} (of ${item.file})`,
    `${indent}anchor     ${anchorLine(item.anchor)}`,
    `${indent}files      ${item.files.join(`\n${indent}           `)}`,
    ...item.missing.map((m) => `${indent}missing    ${m.file}: ${m.reason}`),
  ];
}

function indexText(index: Index): string {
  const c = index.case;
  const who = (actor: CaseStepInput["actor"]) =>
    "service" in actor ? "the service itself (a deadline passed, or captures ended)" : `${actor.accountId} (${actor.name}, ${actor.role})`;
  const heading = `CASE BUNDLE ${c.id}`;
  const lines = [
    heading,
    "=".repeat(heading.length),
    `Notice ${c.id}, status ${c.status}, filed ${String(c.filedAt)}. This bundle was made ${index.generatedAt} (UTC)`,
    "and holds every step of the case recorded then, in order, each with its document, and its receipt and",
    "certificate where they were ready (what was not is listed under the step), and the takedown snapshots and",
    "captures each step asked for. index.json holds the same, and the case's timeline as the service's API",
    "gives it. README.txt says how to check every item with the verifiers here. A step recorded after this",
    "bundle was made is not in it: compare the last step with the case as its parties see it now.",
    "",
    "Parties",
    "-------",
    ...index.parties.map((p) => `${p.role.padEnd(14)}${p.accountId}  ${p.name}`),
    "",
    "Steps",
    "-----",
  ];
  for (const step of index.steps) {
    lines.push(
      `Step ${step.seq} of ${index.steps.length}: ${step.type}`,
      `  at         ${step.at}`,
      `  by         ${who(step.actor)}`,
      `  folder     ${step.document.folder}`,
      ...itemLines(step.document, "  "),
    );
    for (const s of step.takedownSnapshots) {
      lines.push(`  Takedown snapshot of listing ${s.listingId} (folder ${s.folder}):`, ...itemLines(s, "    "));
    }
    for (const capture of step.captures) {
      lines.push(`  Capture ${capture.captureId} of listing ${capture.listingId} (${capture.purpose}), ${capture.status}:`);
      if (!capture.manifest) {
        lines.push(`    missing    its evidence: ${capture.missing}`);
        continue;
      }
      lines.push(`    folder     ${capture.folder}`, "    the capture manifest:", ...itemLines(capture.manifest, "      "));
      for (const a of capture.artifacts) {
        lines.push(
          `    the ${a.role}: evidence ${a.evidenceId}, SHA-256 ${a.sha256}`,
          `      files      ${a.files.join(`\n      ${"".padEnd(11)}`)}`,
        );
      }
    }
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}

function readmeOf(input: CaseBundleInput, anchored: ReadmeItem[]): string {
  const heading = `CASE BUNDLE ${input.case.id}`;
  const layout = [
    `${CASE_INDEX_FILES.text.padEnd(24)}the case: its parties, each step in order with its time, who took it, its`,
    `${"".padEnd(24)}evidence id, SHA-256 and anchor, and its files here; and what is missing, and why`,
    `${CASE_INDEX_FILES.json.padEnd(24)}the same, machine-readable (format ${CASE_BUNDLE_FORMAT}), with the case's timeline`,
    `${"NN-<step>/".padEnd(24)}one folder per step, in order: the step's document (<step>.json, the RFC 8785`,
    `${"".padEnd(24)}JSON the service recorded, naming the SHA-256 of the step before it), its proof files`,
    `${"".padEnd(24)}and ${BUNDLE_FILES.certificate}, the step's certificate for a court`,
    `${"NN-<step>/takedown-…/".padEnd(24)}a takedown snapshot the step stored, with its proof files and ${BUNDLE_FILES.certificate}`,
    `${"NN-<step>/capture-…/".padEnd(24)}a capture the step asked for: manifest/ (with ${BUNDLE_FILES.certificate}) and`,
    `${"".padEnd(24)}artifacts/<role>/, as in a capture bundle`,
  ];
  const caseNotes = `5. This case bundle
-------------------
   "node ${BUNDLE_FILES.verifyScript}" here checks every folder that holds a ${ITEM_FILES.receipt}: each step's document, each
   takedown snapshot, each capture's manifest and artifacts. An item not anchored when the bundle was made has
   no ${ITEM_FILES.receipt} (${CASE_INDEX_FILES.text} says so): the verifier passes it by. Its "captures complete" check
   finds every artifact each capture manifest lists here, with its receipt. Its "the case's steps" check
   finds steps 1 to n all here, of one case, each step's document naming the SHA-256 (and evidence id) of
   the one before it ("previous"): a step taken out, reordered or replaced fails it. A step without its
   receipt is still checked in the chain, with a warning that its time is not proven. A step withheld
   from this bundle's reader (another respondent's counter-notice) is a ${WITHHELD_FILE} in its folder: the
   chain goes through the SHA-256 the next step names of it, with a warning that it is not checked here.
   One item alone: "node ${BUNDLE_FILES.verifyScript} <folder>/${ITEM_FILES.receipt}" (its file, time-stamp CAs and custody log
   are read from beside it).`;
  if (!anchored.length) {
    return `${heading}\n${"=".repeat(heading.length)}\nNothing in this case was anchored when this bundle was made: there are no receipts to check yet.\n${CASE_INDEX_FILES.text} lists each step's document and its SHA-256; download the bundle again once the steps are anchored.\n`;
  }
  const readme = bundleReadme({
    heading,
    subject: `The case's first anchored document in this bundle (${anchored[0]!.folder}/${anchored[0]!.fileName})`,
    certificateLine: `${BUNDLE_FILES.certificate.padEnd(24)}in each item's folder: the same facts for a court, with a declaration template`,
    main: anchored[0]!,
    items: anchored,
    layout,
    developmentChainIds: input.developmentChainIds,
  });
  // After the checks the README gives for every bundle, before its note on development chains.
  const cut = readme.indexOf(DEVELOPMENT_CHAIN_HEADING);
  return cut < 0 ? `${readme}\n${caseNotes}\n` : `${readme.slice(0, cut)}${caseNotes}\n\n${readme.slice(cut)}`;
}
