/**
 * The evidence bundle: one zip with everything needed to prove evidence offline, years later, with no
 * service running. Each evidence item comes with the original file, its receipt, the metadata as the
 * exact bytes that were hashed, the content as a CAR file that re-hashes to its CID, and each RFC 3161
 * time-stamp as a .tsr with the root it stamps (root.bin) and its authority's CA as configured here;
 * with them, the certificate, a README with every step down to plain OpenSSL, cast and curl commands
 * (bundle-readme.ts), and the verifiers verify.mjs and verify.html (built from the project's verification
 * code: bundle-verifier/). A single item lies at the zip's root; a capture's manifest in manifest/ and
 * each artifact in artifacts/<role>/ (domain/bundle-layout.ts).
 */
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import yazl from "yazl";
import { BUNDLE_FILES, isReservedName, ITEM_FILES, safeFileName, timestampFileName, tsaCaFileName } from "../domain/bundle-layout.ts";
import { canonicalJson } from "../domain/canonical-json.ts";
import type { CustodyDocument } from "../domain/custody-log.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";
import { timestampResponseFromToken } from "../domain/timestamp-token.ts";
import type { Verification } from "../domain/verification.ts";
import { bundleReadme, type ReadmeItem } from "./bundle-readme.ts";

/** npm run build:verifier makes them; read once. */
const VERIFIERS = Object.fromEntries(
  [BUNDLE_FILES.verifyScript, BUNDLE_FILES.verifyPage].map((name) => [
    name,
    readFileSync(new URL(`./bundle-verifier/${name}`, import.meta.url)),
  ]),
);

export interface BundleItem {
  receipt: EvidenceReceipt;
  /** The original bytes (already checked against the receipt's SHA-256). */
  content: AsyncIterable<Uint8Array>;
  /** The content's DAG as a CAR v1. */
  car: AsyncIterable<Uint8Array>;
  /** The receipt as verified when the bundle was made (its proven times). */
  verification: Verification;
  /** The PEM CA certificate this service trusts for each of the receipt's time-stamps, in order (undefined: none now). */
  tsaCas: (string | undefined)[];
  /** The item's chain of custody as it stood when the bundle was made (this export is recorded after it). */
  custody: CustodyDocument;
}

interface Documents {
  certificate: Buffer;
  developmentChainIds?: readonly number[];
  generatedAt?: Date;
}

export type BundleInput = BundleItem & Documents;

export interface CaptureBundleInput extends Documents {
  captureId: string;
  manifest: BundleItem;
  /** In the manifest's order; `role` names the folder (screenshot, mhtml, html, har, wacz). */
  artifacts: (BundleItem & { role: string })[];
}

const EXTENSIONS: Record<string, string> = {
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/webp": ".webp",
  "application/pdf": ".pdf",
  "application/json": ".json",
  "text/html": ".html",
  "text/plain": ".txt",
  "multipart/related": ".mhtml",
  "application/wacz": ".wacz",
};

/** The name the original file gets in the bundle: its own, made safe, or one from its id and type. */
export function bundleFileName(receipt: EvidenceReceipt): string {
  const name = safeFileName(receipt.metadata.fileName, `${receipt.evidence.id}${EXTENSIONS[receipt.evidence.mediaType] ?? ".bin"}`);
  return isReservedName(name) ? `file-${name}` : name;
}

/** One item's evidence at the zip's root. */
export function bundleZip(input: BundleInput): Readable {
  const item = { ...input, folder: "", fileName: bundleFileName(input.receipt), title: "the evidence file" };
  const readme = bundleReadme({
    heading: `EVIDENCE BUNDLE ${input.receipt.evidence.id}`,
    main: item,
    items: [item],
    layout: [`${"(the evidence file)".padEnd(24)}${item.fileName}, with its proof files beside it:`],
    developmentChainIds: input.developmentChainIds,
  });
  return zipOf(input, [item], readme);
}

/** A capture's evidence: its manifest and every artifact, each in its folder. */
export function captureBundleZip(input: CaptureBundleInput): Readable {
  const items = captureItems("", input.manifest, input.artifacts);
  const [manifest, ...artifacts] = items as [BundleItem & ReadmeItem, ...(BundleItem & ReadmeItem)[]];
  const readme = bundleReadme({
    heading: `CAPTURE BUNDLE ${input.captureId}`,
    main: manifest,
    items,
    layout: [
      `${"manifest/".padEnd(24)}the capture manifest (${manifest.fileName}): what was captured, how, when and from`,
      `${"".padEnd(24)}where, and the SHA-256 of every artifact`,
      ...artifacts.map((a) => `${`${a.folder}/`.padEnd(24)}${a.fileName}: ${a.title}`),
    ],
    developmentChainIds: input.developmentChainIds,
  });
  return zipOf(input, items, readme);
}

/**
 * A capture's items with their folders under `base` ("" for the bundle's root): the manifest in manifest/,
 * each artifact in artifacts/<role>/ (artifacts/<role>-2/ for a second of the same role).
 */
export function captureItems(
  base: string,
  manifest: BundleItem,
  artifacts: (BundleItem & { role: string })[],
): (BundleItem & ReadmeItem)[] {
  const under = (folder: string) => (base ? `${base}/${folder}` : folder);
  const folders = new Set<string>();
  return [
    { ...manifest, folder: under("manifest"), fileName: bundleFileName(manifest.receipt), title: "the capture manifest" },
    ...artifacts.map((a) => {
      const role = safeFileName(a.role.toLowerCase().replace(/[^a-z0-9-]+/g, "-"), "artifact");
      let folder = `artifacts/${role}`;
      for (let n = 2; folders.has(folder); n++) folder = `artifacts/${role}-${n}`;
      folders.add(folder);
      return { ...a, folder: under(folder), fileName: bundleFileName(a.receipt), title: `the ${a.role} of the page` };
    }),
  ];
}

function zipOf(documents: Documents, items: (BundleItem & ReadmeItem)[], readme: string): Readable {
  const zip = new yazl.ZipFile();
  const mtime = documents.generatedAt ?? new Date();
  for (const item of items) addItem(zip, item, mtime);
  zip.addBuffer(documents.certificate, BUNDLE_FILES.certificate, { mtime });
  addVerifiers(zip, readme, mtime);
  zip.end();
  return zip.outputStream as Readable;
}

/** The verifiers and the README, at the zip's root. */
export function addVerifiers(zip: yazl.ZipFile, readme: string, mtime: Date): void {
  zip.addBuffer(VERIFIERS[BUNDLE_FILES.verifyScript]!, BUNDLE_FILES.verifyScript, { mtime, mode: 0o100755 });
  zip.addBuffer(VERIFIERS[BUNDLE_FILES.verifyPage]!, BUNDLE_FILES.verifyPage, { mtime });
  zip.addBuffer(Buffer.from(readme), BUNDLE_FILES.readme, { mtime });
}

/** One item's files in its folder: the evidence file, receipt, metadata, CAR, custody log and time-stamps. */
export function addItem(zip: yazl.ZipFile, item: BundleItem & ReadmeItem, mtime: Date) {
  const r = item.receipt;
  const path = (name: string) => (item.folder ? `${item.folder}/${name}` : name);
  zip.addReadStream(Readable.from(item.content), path(item.fileName), { mtime });
  zip.addBuffer(Buffer.from(JSON.stringify(r, null, 2) + "\n"), path(ITEM_FILES.receipt), { mtime });
  zip.addBuffer(Buffer.from(canonicalJson(r.metadata)), path(ITEM_FILES.metadata), { mtime });
  zip.addReadStream(Readable.from(item.car), path(ITEM_FILES.car), { mtime });
  zip.addBuffer(Buffer.from(JSON.stringify(item.custody, null, 2) + "\n"), path(ITEM_FILES.custody), { mtime });
  if (!r.timestamps?.length) return;
  zip.addBuffer(Buffer.from(r.merkle.root.slice(2), "hex"), path(ITEM_FILES.root), { mtime });
  for (const [i, t] of r.timestamps.entries()) {
    zip.addBuffer(Buffer.from(timestampResponseFromToken(Buffer.from(t.token, "base64"))), path(timestampFileName(i + 1)), { mtime });
    const ca = item.tsaCas[i];
    if (ca) zip.addBuffer(Buffer.from(ca), path(tsaCaFileName(i + 1)), { mtime });
  }
}
