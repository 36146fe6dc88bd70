/**
 * A WACZ 1.1.1 archive of the visit (https://specs.webrecorder.net/wacz/1.1.1/), the package web-archive
 * players such as ReplayWeb.page load: archive/data.warc.gz (warc-from-har.ts), indexes/index.cdx (its
 * CDXJ index, by warcio), pages/pages.jsonl (the captured page), datapackage.json (every file's SHA-256
 * and size) and datapackage-digest.json (the SHA-256 of datapackage.json), zipped with the WARC stored
 * uncompressed in the zip so a player can read a record at its offset.
 */
import { createHash } from "node:crypto";
import yazl from "yazl";
import { PACKAGE } from "../../package-info.ts";
import type { CapturedArtifact, PageCapture } from "../../ports/page-capturer.ts";
import { cdxjOf, type HarEntry, warcFromHar } from "./warc-from-har.ts";

export const WACZ_VERSION = "1.1.1";
const WARC_FILE = "data.warc.gz";

/** How long packaging may take after the browser closed; it is checked between records. */
export const WACZ_BUILD_MS = 20_000;

export interface WaczInput {
  /** The HAR the browser wrote, bodies embedded. */
  har: Buffer;
  /** The page the visit ended on (null when no site sent one), and its title. */
  page: { url: string | null; title?: string };
  /** What made the archive, e.g. "evidence-anchor 0.1.0". */
  software: string;
  /** The capture browser's user agent, for the warcinfo record. */
  userAgent: string;
  signal?: AbortSignal;
}

/**
 * The visit's WACZ as a capture artifact; else why there is none. Packaging that fails or runs out of
 * time (WACZ_BUILD_MS) costs the capture nothing but this file.
 */
export async function waczArtifact(
  har: Buffer,
  capture: Pick<PageCapture, "finalUrl"> & { browser: Pick<PageCapture["browser"], "userAgent"> },
  options: { title?: string; signal?: AbortSignal } = {},
): Promise<CapturedArtifact | { missing: string }> {
  const deadline = AbortSignal.timeout(WACZ_BUILD_MS);
  try {
    const bytes = await buildWacz({
      har,
      page: { url: capture.finalUrl, title: options.title },
      software: `${PACKAGE.name} ${PACKAGE.version}`,
      userAgent: capture.browser.userAgent,
      signal: options.signal ? AbortSignal.any([deadline, options.signal]) : deadline,
    });
    if (!bytes) return { missing: "no site answered a request of the visit: there is nothing to archive" };
    return { role: "wacz", fileName: "visit.wacz", mediaType: "application/wacz", bytes };
  } catch (error) {
    const why = deadline.aborted ? `it took longer than ${WACZ_BUILD_MS} ms` : error instanceof Error ? error.message : String(error);
    return { missing: `the WACZ could not be made: ${why}` };
  }
}

/** The WACZ, or null when the HAR holds no response a site sent (nothing to archive). */
export async function buildWacz(input: WaczInput): Promise<Buffer | null> {
  const entries = (JSON.parse(input.har.toString("utf8")) as { log: { entries: HarEntry[] } }).log.entries;
  const warc = await warcFromHar(
    entries,
    {
      software: `${input.software} (WARC records by warcio.js)`,
      format: "WARC File Format 1.1",
      conformsTo: "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
      "http-header-user-agent": input.userAgent,
      description:
        "Made from the HAR the capture browser (Chromium) recorded: headers as the browser reported them, bodies after content decoding (Content-Encoding and Transfer-Encoding kept as X-Orig-*, Content-Length set to the body recorded); not the bytes on the wire.",
    },
    { fileName: WARC_FILE, signal: input.signal },
  );
  if (warc.entries.length === 0) return null;
  input.signal?.throwIfAborted();

  // The page is the last time the browser received its URL (after a redirect chain, the final answer).
  const pageEntry = warc.entries.findLast((e) => e.request.url === input.page.url);
  const page = pageEntry && {
    id: createHash("sha256").update(pageEntry.request.url).digest("hex").slice(0, 32),
    url: pageEntry.request.url,
    ts: new Date(pageEntry.startedDateTime).toISOString(),
    ...(input.page.title ? { title: input.page.title } : {}),
  };
  const files = [
    { path: `archive/${WARC_FILE}`, bytes: warc.bytes, compress: false },
    { path: "indexes/index.cdx", bytes: Buffer.from(await cdxjOf(warc.bytes, WARC_FILE)), compress: true },
    { path: "pages/pages.jsonl", bytes: Buffer.from(jsonLines([PAGES_HEADER, ...(page ? [page] : [])])), compress: true },
  ];
  const datapackage = Buffer.from(
    JSON.stringify(
      {
        profile: "data-package",
        wacz_version: WACZ_VERSION,
        title: `Capture of ${page?.url ?? entries[0]?.request.url ?? "a page"}`,
        created: new Date().toISOString(),
        software: input.software,
        ...(page ? { mainPageUrl: page.url, mainPageDate: page.ts } : {}),
        resources: files.map((f) => ({ name: f.path.split("/").pop(), path: f.path, hash: sha256(f.bytes), bytes: f.bytes.length })),
      },
      null,
      2,
    ),
  );
  const digest = Buffer.from(JSON.stringify({ path: "datapackage.json", hash: sha256(datapackage) }, null, 2));
  return zip([
    ...files,
    { path: "datapackage.json", bytes: datapackage, compress: true },
    { path: "datapackage-digest.json", bytes: digest, compress: true },
  ]);
}

const PAGES_HEADER = { format: "json-pages-1.0", id: "pages", title: "All Pages" };

function jsonLines(values: readonly unknown[]): string {
  return values.map((v) => `${JSON.stringify(v)}\n`).join("");
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

async function zip(files: readonly { path: string; bytes: Buffer; compress: boolean }[]): Promise<Buffer> {
  const archive = new yazl.ZipFile();
  const mtime = new Date();
  for (const f of files) archive.addBuffer(f.bytes, f.path, { compress: f.compress, mtime });
  archive.end();
  const chunks: Buffer[] = [];
  for await (const chunk of archive.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
