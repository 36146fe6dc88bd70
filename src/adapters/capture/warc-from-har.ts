/**
 * The visit's traffic as WARC/1.1 records, written by Webrecorder's warcio from the HAR Chromium recorded
 * (bodies embedded): a warcinfo record, then for each response the browser received a `response` record
 * and the `request` record that asked for it (WARC-Concurrent-To), each its own gzip member, as
 * Webrecorder's tools write them. A browser hands over what it parsed, not the bytes on the wire: headers
 * as Chromium reported them and bodies after content decoding. So, as Webrecorder's browser-based crawler
 * does, Content-Encoding and Transfer-Encoding are kept as X-Orig-Content-Encoding and
 * X-Orig-Transfer-Encoding, and Content-Length states the length of the body recorded.
 */
import { CDXIndexer, WARC_1_1, WARCRecord, WARCSerializer } from "warcio";

interface HarHeader {
  name: string;
  value: string;
}

/** The parts of a HAR 1.2 entry (as playwright-core writes it) the records are made from. */
export interface HarEntry {
  startedDateTime: string;
  request: { method: string; url: string; httpVersion: string; headers: HarHeader[]; postData?: { text?: string } };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    headers: HarHeader[];
    content: { size?: number; text?: string; encoding?: string };
  };
}

export interface WarcFile {
  /** The records, each gzipped on its own (a `.warc.gz`). */
  bytes: Buffer;
  /** The HAR entries written as a response and its request, in the HAR's order. */
  entries: HarEntry[];
}

/** Headers whose value describes the bytes on the wire, not the decoded body the browser hands over. */
const WIRE_HEADERS = new Set(["content-encoding", "transfer-encoding"]);

/**
 * The HAR's entries that a site answered, as WARC records. Left out: requests nothing answered (HAR
 * status 0 or -1) and the egress proxy's own refusals (X-Evidence-Refused), which are no site's answer.
 */
export async function warcFromHar(
  entries: readonly HarEntry[],
  warcinfo: Record<string, string>,
  options: { fileName: string; signal?: AbortSignal },
): Promise<WarcFile> {
  const answered = entries.filter(
    (e) => e.response.status > 0 && !e.response.headers.some((h) => h.name.toLowerCase() === "x-evidence-refused"),
  );
  const members: Uint8Array[] = [
    await serialize(await WARCRecord.createWARCInfo({ filename: options.fileName, warcVersion: WARC_1_1 }, warcinfo)),
  ];
  for (const entry of answered) {
    options.signal?.throwIfAborted();
    const body = bodyOf(entry);
    // A body the browser did not keep is not recorded as empty: the record says it is cut (WARC 1.1 §5.13).
    const kept = entry.response.content.text !== undefined || !(entry.response.content.size && entry.response.content.size > 0);
    const date = new Date(entry.startedDateTime).toISOString();
    const response = WARCRecord.create(
      {
        url: entry.request.url,
        date,
        type: "response",
        warcVersion: WARC_1_1,
        statusline: `${httpVersion(entry.response.httpVersion)} ${entry.response.status} ${entry.response.statusText}`.trim(),
        httpHeaders: responseHeaders(entry.response.headers, kept ? body.length : undefined),
        warcHeaders: kept ? {} : { "WARC-Truncated": "unspecified" },
      },
      [body],
    );
    const target = new URL(entry.request.url);
    const request = WARCRecord.create(
      {
        url: entry.request.url,
        date,
        type: "request",
        warcVersion: WARC_1_1,
        statusline: `${entry.request.method} ${target.pathname}${target.search} ${httpVersion(entry.request.httpVersion)}`,
        httpHeaders: headerPairs(entry.request.headers),
        warcHeaders: { "WARC-Concurrent-To": response.warcHeader("WARC-Record-ID") ?? "" },
      },
      [Buffer.from(entry.request.postData?.text ?? "", "utf8")],
    );
    members.push(await serialize(response), await serialize(request));
  }
  return { bytes: Buffer.concat(members), entries: answered };
}

/**
 * The CDXJ index of a WARC, by warcio's own indexer: one line per response (SURT key, 14-digit
 * timestamp, then url, mime, status, digest, length, offset, filename), sorted as readers binary-search it.
 */
export async function cdxjOf(warc: Buffer, fileName: string): Promise<string> {
  const indexer = new CDXIndexer({ format: "cdxj" });
  const lines: string[] = [];
  for await (const line of indexer.iterIndex([{ filename: fileName, reader: chunksOf(warc) }])) lines.push(indexer.serialize(line));
  return lines.sort().join("");
}

async function* chunksOf(bytes: Uint8Array) {
  yield bytes;
}

function serialize(record: WARCRecord): Promise<Uint8Array> {
  return WARCSerializer.serialize(record, { gzip: true });
}

function bodyOf(entry: HarEntry): Buffer {
  const { text, encoding } = entry.response.content;
  if (!text) return Buffer.alloc(0);
  return Buffer.from(text, encoding === "base64" ? "base64" : "utf8");
}

function responseHeaders(headers: readonly HarHeader[], bodyLength: number | undefined): [string, string][] {
  return headerPairs(headers).map(([name, value]) => {
    const lower = name.toLowerCase();
    if (WIRE_HEADERS.has(lower)) return [`x-orig-${name}`, value];
    return lower === "content-length" && bodyLength !== undefined ? [name, String(bodyLength)] : [name, value];
  });
}

/**
 * Headers as an HTTP/1.1 message carries them: no HTTP/2 pseudo-headers, no line breaks in a value,
 * non-ASCII percent-encoded (as Webrecorder's crawler writes them).
 */
function headerPairs(headers: readonly HarHeader[]): [string, string][] {
  return headers
    .filter((h) => !h.name.startsWith(":"))
    .map((h) => [h.name, (/^[\x00-\x7f]*$/.test(h.value) ? h.value : encodeURI(h.value)).replace(/%0A|\r?\n/gi, ", ")]);
}

/** The HAR's protocol as a status line names it (HTTP/1.1 when the HAR names none it knows). */
function httpVersion(harVersion: string): string {
  if (/^HTTP\/\d(\.\d)?$/i.test(harVersion)) return harVersion.toUpperCase();
  if (/^h2$/i.test(harVersion)) return "HTTP/2";
  if (/^h3/i.test(harVersion)) return "HTTP/3";
  return "HTTP/1.1";
}
