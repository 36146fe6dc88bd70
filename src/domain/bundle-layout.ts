/**
 * How an evidence bundle lays out its files, for the code that writes it (documents/) and the verifiers
 * that read it (verify.mjs, verify.html): one folder per evidence item (the bundle's root for a single
 * item; manifest/ and artifacts/<role>/ for a capture), each holding the evidence file, its receipt.json,
 * metadata.json, content.car, custody.json (its chain of custody) and, for its batch's RFC 3161 time-stamps, root.bin, timestamp-N.tsr and
 * tsa-ca-N.pem. A folder's evidence file is its one file with none of these names.
 */

export const ITEM_FILES = {
  receipt: "receipt.json",
  metadata: "metadata.json",
  car: "content.car",
  root: "root.bin",
  custody: "custody.json",
} as const;

/** In a case bundle, a step withheld from its reader: the step's number, type, evidence id and SHA-256, and why. */
export const WITHHELD_FILE = "withheld.json";
export const CASE_STEP_WITHHELD = "case-step-withheld/v1";

export const BUNDLE_FILES = {
  readme: "README.txt",
  certificate: "certificate.pdf",
  verifyScript: "verify.mjs",
  verifyPage: "verify.html",
} as const;

export const timestampFileName = (n: number) => `timestamp-${n}.tsr`;
export const tsaCaFileName = (n: number) => `tsa-ca-${n}.pem`;

const RESERVED = new Set([...Object.values(ITEM_FILES), ...Object.values(BUNDLE_FILES)].map((n) => n.toLowerCase()));
const RESERVED_PATTERN = /^(timestamp-\d+\.tsr|tsa-ca-\d+\.pem)$/;

/** Whether a name is one of the bundle's own (in any case: some file systems ignore it). */
export function isReservedName(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED.has(lower) || RESERVED_PATTERN.test(lower);
}

/**
 * A name safe in a zip on every system: no path, no characters Windows refuses, no control characters,
 * no leading dots or trailing dots and spaces, at most 200 characters; `fallback` when nothing is left.
 */
export function safeFileName(name: string | undefined, fallback: string): string {
  const cleaned = (name ?? "")
    .replace(/[\\/:*?"<>|\u0000-\u001f\u007f]/g, "_")
    .replace(/^[\s.]+|[\s.]+$/g, "")
    .slice(0, 200);
  return cleaned || fallback;
}

/** One item's files in a bundle, as paths relative to wherever the bundle is. */
export interface BundleItemFiles {
  /** "" for the bundle's root. */
  folder: string;
  receipt: string;
  /** The evidence file; absent if the folder has none (or several candidates, listed in `problem`). */
  file?: string;
  /** tsa-ca-N.pem, in N order. */
  tsaCas: string[];
  /** custody.json, if the folder has it. */
  custody?: string;
  problem?: string;
}

/** The items of a bundle, from the paths of its files ("/" separated), folder by folder. */
export function findBundleItems(paths: readonly string[]): BundleItemFiles[] {
  const folders = new Map<string, string[]>();
  for (const path of paths) {
    const cut = path.lastIndexOf("/");
    const folder = cut < 0 ? "" : path.slice(0, cut);
    folders.set(folder, [...(folders.get(folder) ?? []), path.slice(cut + 1)]);
  }
  const items: BundleItemFiles[] = [];
  for (const [folder, names] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
    if (!names.includes(ITEM_FILES.receipt)) continue;
    const at = (name: string) => (folder ? `${folder}/${name}` : name);
    const candidates = names.filter((n) => !isReservedName(n)).sort();
    const tsaCas = names
      .map((n) => /^tsa-ca-(\d+)\.pem$/.exec(n))
      .filter((m) => m !== null)
      .sort((a, b) => Number(a[1]) - Number(b[1]))
      .map((m) => at(m[0]));
    const item: BundleItemFiles = { folder, receipt: at(ITEM_FILES.receipt), tsaCas };
    if (names.includes(ITEM_FILES.custody)) item.custody = at(ITEM_FILES.custody);
    if (candidates.length === 1) item.file = at(candidates[0]!);
    else
      item.problem = candidates.length ? `several files could be the evidence: ${candidates.join(", ")}` : "the evidence file is missing";
    items.push(item);
  }
  return items;
}
