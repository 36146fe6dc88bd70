/**
 * The WACZ archive of a capture, taken by a real headless Chromium from the fixture marketplace on
 * 127.0.0.1 and checked as a web archivist would: unzipped, every datapackage.json hash and size
 * against its file, every HAR response found in the WARC (read back with warcio), every CDXJ line
 * pointing at its record, pages.jsonl naming the page; and the archive anchored and carried by the
 * capture's bundle, whose verifier checks it. (ReplayWeb.page cannot be fetched here; docs/receipt.md
 * says what this checks instead.)
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { getSurt, WARCParser, type WARCRecord } from "warcio";
import { startMarketplace, type Marketplace } from "../helpers/fixture-marketplace.ts";
import { client, startTestService, waitForAnchored, waitForCapture, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { unzip, type ZipEntry } from "../helpers/unzip.ts";

type Json = Record<string, any>;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const run = promisify(execFile);

/** Every record of a WARC, with its offset and length in the (gzipped) file and its payload. */
async function readWarc(bytes: Buffer): Promise<{ record: WARCRecord; offset: number; length: number; payload: Uint8Array }[]> {
  const parser = new WARCParser(chunks(bytes));
  const records = [];
  for await (const record of parser) {
    const payload = await record.readFully(true);
    records.push({ record, offset: parser.offset, length: parser.recordLength, payload });
  }
  return records;
}

async function* chunks(bytes: Uint8Array) {
  yield bytes;
}

function harBody(entry: Json): Buffer {
  const { text, encoding } = entry.response.content;
  return Buffer.from(text ?? "", encoding === "base64" ? "base64" : "utf8");
}

describe("the WACZ archive of a capture", function () {
  this.timeout(120_000);
  const dir = tempDir("capture-wacz-");
  let market: Marketplace;
  let service: TestService;
  let api: ReturnType<typeof client>;
  let capture: Json;
  let manifest: Json;
  let wacz: Buffer;
  let files: Map<string, ZipEntry>;
  let har: Json;

  before(async () => {
    market = await startMarketplace();
    service = await startTestService(join(dir.path, "data"), {
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
      CAPTURE_TIMEOUT_MS: "8000",
      CAPTURE_VIDEO: "false", // the WACZ alone here; captures.test.ts takes every artifact together
    });
    api = client(service.url);
    const queued = (await (await api.postJson("/v1/captures", { url: `${market.origin}/go/8842` })).json()) as Json;
    capture = await waitForCapture(api, queued.id);
    expect(capture.status, capture.failureReason).to.equal("anchored");
    const content = async (id: string) => Buffer.from(await (await api.get(`/v1/evidence/${id}/content`)).arrayBuffer());
    manifest = JSON.parse((await content(capture.manifest.evidenceId)).toString());
    const entry = (role: string) => manifest.artifacts.find((a: Json) => a.role === role);
    wacz = await content(entry("wacz").evidenceId);
    har = JSON.parse((await content(entry("har").evidenceId)).toString());
    files = await unzip(wacz);
  });
  after(async () => {
    await service.stop();
    await market.close();
    dir.remove();
  });

  it("is an artifact of its own, application/wacz, whose bytes re-hash to its manifest entry", () => {
    expect(manifest.artifacts.map((a: Json) => a.role)).to.deep.equal(["screenshot", "mhtml", "html", "har", "wacz"]);
    const entry = manifest.artifacts.find((a: Json) => a.role === "wacz");
    expect(entry).to.deep.include({ fileName: "visit.wacz", mediaType: "application/wacz", size: wacz.length, sha256: sha256(wacz) });
    expect(manifest).not.to.have.property("missingArtifacts");
  });

  it("holds the WACZ 1.1.1 files, the WARC stored uncompressed in the zip, each hash and size in datapackage.json", () => {
    expect([...files.keys()].sort()).to.deep.equal([
      "archive/data.warc.gz",
      "datapackage-digest.json",
      "datapackage.json",
      "indexes/index.cdx",
      "pages/pages.jsonl",
    ]);
    expect(files.get("archive/data.warc.gz")!.compressionMethod).to.equal(0); // STORE: records readable at their offsets
    const datapackage = JSON.parse(files.get("datapackage.json")!.bytes.toString());
    expect(datapackage).to.deep.include({
      profile: "data-package",
      wacz_version: "1.1.1",
      software: "evidence-anchor 0.1.0",
      mainPageUrl: `${market.origin}/item/8842`,
      title: `Capture of ${market.origin}/item/8842`,
    });
    expect(Date.parse(datapackage.created)).to.be.within(Date.parse(manifest.startedAt), Date.parse(manifest.endedAt));
    expect(datapackage.resources.map((r: Json) => r.path)).to.deep.equal([
      "archive/data.warc.gz",
      "indexes/index.cdx",
      "pages/pages.jsonl",
    ]);
    for (const resource of datapackage.resources) {
      const bytes = files.get(resource.path)!.bytes;
      expect(resource, resource.path).to.deep.equal({
        name: resource.path.split("/").pop(),
        path: resource.path,
        hash: `sha256:${sha256(bytes)}`,
        bytes: bytes.length,
      });
    }
    expect(JSON.parse(files.get("datapackage-digest.json")!.bytes.toString())).to.deep.equal({
      path: "datapackage.json",
      hash: `sha256:${sha256(files.get("datapackage.json")!.bytes)}`,
    });
  });

  it("holds every response of the HAR as a WARC/1.1 response record (URL, status, body) with the request that asked for it", async () => {
    const records = await readWarc(files.get("archive/data.warc.gz")!.bytes);
    expect(records[0]!.record.warcType).to.equal("warcinfo");
    expect(records[0]!.record.warcHeaders.statusline).to.equal("WARC/1.1");
    const info = new TextDecoder().decode(records[0]!.payload);
    expect(info).to.include("software: evidence-anchor 0.1.0 (WARC records by warcio.js)\r\n");
    expect(info).to.include(`http-header-user-agent: ${manifest.browser.userAgent}\r\n`);

    const responses = records.filter((r) => r.record.warcType === "response");
    const requests = records.filter((r) => r.record.warcType === "request");
    const answered = har.log.entries.filter((e: Json) => e.response.status > 0);
    // The visit: the redirect, the listing, its stylesheet and image (and whatever else the browser asked for).
    for (const path of ["/go/8842", "/item/8842", "/slow.css", "/img/8842-1.png"])
      expect(answered.map((e: Json) => e.request.url)).to.include(market.origin + path);
    expect(responses.length).to.equal(answered.length);
    expect(requests.length).to.equal(answered.length);
    for (const [i, entry] of answered.entries()) {
      const { record, payload } = responses[i]!;
      const url = entry.request.url as string;
      expect(record.warcTargetURI, url).to.equal(url);
      expect(record.warcHeaders.statusline).to.equal("WARC/1.1");
      expect(record.httpHeaders!.statusCode, url).to.equal(entry.response.status);
      expect(sha256(payload), url).to.equal(sha256(harBody(entry)));
      expect(record.warcPayloadDigest, url).to.equal(`sha256:${sha256(payload)}`);
      expect(record.warcHeader("WARC-Truncated"), url).to.equal(null); // every body was kept
      expect(record.warcDate, url).to.equal(new Date(entry.startedDateTime).toISOString());
      const request = requests.find((r) => r.record.warcHeader("WARC-Concurrent-To") === record.warcHeader("WARC-Record-ID"))!;
      expect(request.record.warcTargetURI, url).to.equal(url);
      expect(request.record.httpHeaders!.method, url).to.equal(entry.request.method);
    }
    const redirect = responses.find((r) => r.record.warcTargetURI === `${market.origin}/go/8842`)!;
    expect(redirect.record.httpHeaders!.statusline).to.equal("HTTP/1.1 302 Found");
    expect(redirect.record.httpHeaders!.headers.get("location")).to.equal("/item/8842");
    const page = responses.find((r) => r.record.warcTargetURI === `${market.origin}/item/8842`)!;
    expect(page.record.httpHeaders!.headers.get("x-marketplace")).to.equal("fixture");
    expect(new TextDecoder().decode(page.payload)).to.include("<h1>Designer handbag — genuine leather</h1>");
    // The fixture answers chunked; the record holds the body, so the header is kept under another name.
    const headers = [...page.record.httpHeaders!.headers.keys()];
    expect(headers).to.include("x-orig-transfer-encoding").and.not.include("transfer-encoding");
    expect(page.record.httpHeaders!.headers.get("x-orig-transfer-encoding")).to.equal("chunked");
  });

  it("indexes each response in indexes/index.cdx (CDXJ, sorted) at the offset and length where its record is", async () => {
    const warc = files.get("archive/data.warc.gz")!.bytes;
    const lines = files.get("indexes/index.cdx")!.bytes.toString().trimEnd().split("\n");
    expect(lines).to.deep.equal([...lines].sort());
    const responses = (await readWarc(warc)).filter((r) => r.record.warcType === "response");
    expect(lines.length).to.equal(responses.length);
    for (const line of lines) {
      const [key, timestamp, json] = line.split(/ (.*?) (.*)/s) as [string, string, string];
      const cdx = JSON.parse(json);
      const [record] = await readWarc(warc.subarray(Number(cdx.offset), Number(cdx.offset) + Number(cdx.length)));
      expect(record!.length, cdx.url).to.equal(Number(cdx.length));
      expect(record!.record.warcTargetURI).to.equal(cdx.url);
      expect(key).to.equal(getSurt(cdx.url));
      expect(timestamp).to.equal(record!.record.warcDate!.replace(/\D/g, "").slice(0, 14));
      expect(cdx.status).to.equal(String(record!.record.httpHeaders!.statusCode));
      expect(cdx.digest).to.equal(sha256(record!.payload));
      expect(cdx.filename).to.equal("data.warc.gz");
    }
    // warcio's SURT, the key ReplayWeb.page (wabac.js, on warcio) looks a URL up by: an IP's parts reversed too.
    const page = JSON.parse(
      lines
        .find((l) => l.startsWith(`1,0,0,127:${market.port})/item/8842 `))!
        .split(" ")
        .slice(2)
        .join(" "),
    );
    expect(page).to.deep.include({ url: `${market.origin}/item/8842`, mime: "text/html", status: "200" });
  });

  it("names the captured page in pages/pages.jsonl, at the time of its record (the datapackage's main page)", async () => {
    const lines = files
      .get("pages/pages.jsonl")!
      .bytes.toString()
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    const records = await readWarc(files.get("archive/data.warc.gz")!.bytes);
    const pageRecord = records.find((r) => r.record.warcType === "response" && r.record.warcTargetURI === `${market.origin}/item/8842`)!;
    expect(lines).to.have.length(2);
    expect(lines[0]).to.deep.equal({ format: "json-pages-1.0", id: "pages", title: "All Pages" });
    expect(lines[1]).to.deep.include({ url: `${market.origin}/item/8842`, ts: pageRecord.record.warcDate, title: "Designer handbag" });
    const datapackage = JSON.parse(files.get("datapackage.json")!.bytes.toString());
    expect(datapackage.mainPageDate).to.equal(pageRecord.record.warcDate);
  });

  it("is left out, with the reason in the manifest, when no site answered: the capture keeps its other artifacts", async () => {
    const queued = (await (await api.postJson("/v1/captures", { url: `${market.origin}/never` })).json()) as Json;
    const timedOut = await waitForCapture(api, queued.id);
    expect(timedOut.failureReason).to.match(/^timed out/);
    const bytes = await (await api.get(`/v1/evidence/${timedOut.manifest.evidenceId}/content`)).arrayBuffer();
    const manifest = JSON.parse(Buffer.from(bytes).toString());
    expect(manifest.artifacts.map((a: Json) => a.role)).to.deep.equal(["har"]);
    expect(manifest.missingArtifacts).to.deep.equal([
      { role: "wacz", reason: "no site answered a request of the visit: there is nothing to archive" },
    ]);
  });

  it("is anchored, and the capture's bundle carries it in artifacts/wacz/, checked by the bundle's verifier", async () => {
    const entry = manifest.artifacts.find((a: Json) => a.role === "wacz");
    for (const a of [...manifest.artifacts, { evidenceId: capture.manifest.evidenceId }]) await waitForAnchored(api, a.evidenceId);
    const receipt = (await (await api.get(`/v1/evidence/${entry.evidenceId}/receipt`)).json()) as Json;
    expect(receipt.evidence).to.deep.include({ sha256: entry.sha256, mediaType: "application/wacz", kind: "capture-artifact" });

    const bundle = Buffer.from(await (await api.get(`/v1/captures/${capture.id}/bundle`)).arrayBuffer());
    const zip = join(dir.path, "bundle.zip");
    const out = join(dir.path, "bundle");
    writeFileSync(zip, bundle);
    await run("unzip", ["-q", zip, "-d", out]);
    expect(readFileSync(join(out, "artifacts", "wacz", "visit.wacz"))).to.deep.equal(wacz);
    // Exit 3: every check passed, on a development chain (which proves nothing to a third party).
    const verified = await run(process.execPath, ["verify.mjs", "--rpc", service.chain.rpcUrl], { cwd: out }).catch((e) => e);
    expect(verified.code, verified.stdout).to.equal(3);
    const section = verified.stdout.split("artifacts/wacz/visit.wacz\n=========================\n")[1];
    expect(section).to.include(`✓ file SHA-256              ${entry.sha256}\n`);
    expect(verified.stdout).to.include(
      "✓ capture complete  the 5 artifacts the manifest lists are here, each with its receipt: artifacts/screenshot/screenshot.png, artifacts/mhtml/page.mhtml, artifacts/html/page.html, artifacts/har/load.har, artifacts/wacz/visit.wacz\n" +
        "6 evidence items, exit code 3.\n",
    );
  });
});
