/**
 * Fixed, signed certificates, read as their users read them: made once the item is final (anchored, its
 * time-stamp answered or waited for long enough), the same bytes on every download, refused when the
 * stored bytes change, signed with the operator's key (checked with poppler's pdfsig), naming the issuer,
 * numbering pages, and, for a capture the service made, stating what it observed (pdftotext). A real
 * OpenSSL TSA is taken down and up; captures run in a real Chromium against a fixture marketplace.
 */
import { expect } from "chai";
import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { findBlockFile } from "../helpers/blocks.ts";
import { startMarketplace, type Marketplace } from "../helpers/fixture-marketplace.ts";
import { startOpensslTsa, type OpensslTsa } from "../helpers/openssl-tsa.ts";
import {
  client,
  fileForm,
  startTestService,
  waitForAnchored,
  waitForCapture,
  waitForTimestamps,
  type TestService,
} from "../helpers/service.ts";
import { makeSigningKey, type SigningKey } from "../helpers/signing-key.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;
const run = promisify(execFile);
const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const PASSWORD = "correct horse battery staple";
const OPERATOR = {
  OPERATOR_NAME: "Evidence Preservation Ltd（证据保全有限公司）",
  OPERATOR_CONTACT: "certificates@evidence.example.org",
  OPERATOR_STATEMENT: "Evidence Preservation Ltd runs this service for its customers and is not a party to their disputes.",
};
const WAIT_MS = 4000;

/** pdftotext's text with every run of white space removed: lines wrap where the PDF's width says. */
const squeeze = (text: string) => text.replace(/\s+/g, "");
const utcMs = (iso: string) => iso.replace("T", " ").replace(/Z$/, " UTC");

describe("fixed, signed certificates", function () {
  this.timeout(180_000);
  const dir = tempDir("certificates-");
  let market: Marketplace;
  let tsa: OpensslTsa;
  let key: SigningKey;
  let service: TestService;
  let api: ReturnType<typeof client>;
  let db: DatabaseSync;

  before(async () => {
    [market, tsa] = await Promise.all([startMarketplace(), startOpensslTsa()]);
    key = makeSigningKey(dir.path, PASSWORD);
    service = await startTestService(join(dir.path, "data"), {
      TSA_URLS: tsa.url,
      TSA_CA_FILES: tsa.caFile,
      TSA_RETRY_MS: "200",
      CERTIFICATE_TIMESTAMP_WAIT_MS: String(WAIT_MS),
      CERTIFICATE_SIGNING_P12: key.p12File,
      CERTIFICATE_SIGNING_P12_PASSWORD: PASSWORD,
      // A loopback address: printed on a certificate, it would lead the reader to their own computer.
      PUBLIC_URL: "http://127.0.0.1:8080",
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
      CAPTURE_TIMEOUT_MS: "8000",
      ...OPERATOR,
    });
    api = client(service.url);
    db = new DatabaseSync(join(dir.path, "data", "index.sqlite"));
    db.exec("PRAGMA busy_timeout = 5000");
  });
  after(async () => {
    db?.close();
    await service?.stop();
    await Promise.all([market?.close(), tsa?.stop()]);
    dir.remove();
  });

  async function upload(text: string): Promise<string> {
    const response = await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: Buffer.from(text), name: "evidence.txt" } }));
    const { id } = (await response.json()) as Json;
    await waitForAnchored(api, id);
    return id;
  }

  /** The certificate, once it is made (polling through 409 CERTIFICATE_NOT_READY, as a client would). */
  async function certificate(id: string, timeoutMs = 30_000): Promise<{ response: Response; pdf: Buffer }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await api.get(`/v1/evidence/${id}/certificate.pdf`);
      if (response.status !== 409) {
        expect(response.status, await response.clone().text()).to.equal(200);
        return { response, pdf: Buffer.from(await response.arrayBuffer()) };
      }
      if (Date.now() > deadline) throw new Error(`the certificate of ${id} is still not ready`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function pdfText(pdf: Buffer): Promise<string> {
    const path = join(dir.path, `${randomBytes(4).toString("hex")}.pdf`);
    writeFileSync(path, pdf);
    return (await run("pdftotext", ["-raw", path, "-"])).stdout;
  }

  async function pdfImages(pdf: Buffer): Promise<{ width: number; height: number }[]> {
    const path = join(dir.path, `${randomBytes(4).toString("hex")}.pdf`);
    writeFileSync(path, pdf);
    const { stdout } = await run("pdfimages", ["-list", path]);
    // Two header lines, then: page num type width height ...
    return stdout
      .trim()
      .split("\n")
      .slice(2)
      .map((line) => line.trim().split(/\s+/))
      .map((cols) => ({ width: Number(cols[3]), height: Number(cols[4]) }));
  }

  function expectInText(text: string, expected: string[]) {
    for (const e of expected) expect(squeeze(text), e).to.include(squeeze(e));
  }

  it("answers 409 CERTIFICATE_NOT_READY while the TSA has not answered, and makes the certificate with the time-stamp once it has", async () => {
    tsa.down();
    let id: string;
    try {
      id = await upload("waits for its time-stamp");
      const early = await api.get(`/v1/evidence/${id}/certificate.pdf`);
      const body = (await early.json()) as Json;
      expect(early.status).to.equal(409);
      expect(body.code).to.equal("CERTIFICATE_NOT_READY");
      expect(body.detail).to.match(
        new RegExp(
          `^The certificate of evidence ${id} is not made yet: the time-stamp of ${tsa.url} is still pending; the certificate is made once every time-stamp authority has answered, or at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z at the latest$`,
        ),
      );
      expect(Number(early.headers.get("retry-after"))).to.be.within(1, WAIT_MS / 1000);
    } finally {
      tsa.up();
    }
    const receipt = await waitForTimestamps(api, id, 1);
    const text = await pdfText((await certificate(id)).pdf);
    expectInText(text, [`Time-stamp 1: authority: ${tsa.url}`, `Serial number: ${(receipt.timestamps as Json[])[0]!.serialNumber}`]);
    expect(text).not.to.include("Still pending");
  });

  it("makes the certificate without a TSA that stays down past CERTIFICATE_TIMESTAMP_WAIT_MS, naming it as pending", async () => {
    tsa.down();
    try {
      const id = await upload("its TSA stays down");
      expect((await api.get(`/v1/evidence/${id}/certificate.pdf`)).status).to.equal(409);
      const { pdf } = await certificate(id, WAIT_MS + 10_000);
      const text = await pdfText(pdf);
      expectInText(text, [
        `Still pending: ${tsa.url} (the authority had not answered when this certificate was made)`,
        "This certificate proves no time.",
      ]);
      expect(text).not.to.include("Time-stamp 1: authority");
    } finally {
      tsa.up();
    }
  });

  it("gives the same bytes on every download, even to requests that arrive together, with their SHA-256 as ETag", async () => {
    const id = await upload("downloaded many times");
    await waitForTimestamps(api, id, 1);
    const first = await Promise.all([1, 2, 3].map(() => certificate(id)));
    const again = await certificate(id);
    const sha256 = createHash("sha256").update(again.pdf).digest("hex");
    for (const { response, pdf } of [...first, again]) {
      expect(pdf.equals(again.pdf)).to.equal(true);
      expect(response.headers.get("etag")).to.equal(`"${sha256}"`);
      expect(response.headers.get("x-content-sha256")).to.equal(sha256);
      expect(response.headers.get("content-type")).to.equal("application/pdf");
    }
    const cached = await api.get(`/v1/evidence/${id}/certificate.pdf`, { "if-none-match": `"${sha256}"` });
    expect(cached.status).to.equal(304);
    expect(db.prepare("SELECT sha256, size, signed FROM certificates WHERE evidence_id = ?").all(id)).to.deep.equal([
      { sha256, size: again.pdf.length, signed: 1 },
    ]);
    // The bundle carries the very same bytes.
    const zipPath = join(dir.path, "bundle.zip");
    writeFileSync(zipPath, Buffer.from(await (await api.get(`/v1/evidence/${id}/bundle`)).arrayBuffer()));
    const { stdout } = await run("unzip", ["-p", zipPath, "certificate.pdf"], { encoding: "buffer", maxBuffer: 10_000_000 });
    expect(createHash("sha256").update(stdout).digest("hex")).to.equal(sha256);
  });

  it("is signed with the operator's key: pdfsig finds the signature valid (the test CA is not one it trusts)", async () => {
    const id = await upload("signed");
    const { pdf } = await certificate(id);
    const path = join(dir.path, "signed.pdf");
    writeFileSync(path, pdf);
    const { stdout } = await run("pdfsig", [path]);
    const lines = stdout.split("\n").map((l) => l.trim());
    expect(lines).to.include.members([
      "Signature #1:",
      "- Signer Certificate Common Name: Evidence Operator",
      "- Signer full Distinguished Name: CN=Evidence Operator,O=Evidence Anchor Tests",
      "- Signing Hash Algorithm: SHA-256",
      "- Signature Type: adbe.pkcs7.detached",
      "- Total document signed",
      "- Signature Validation: Signature is Valid.",
      // A test CA: the signature holds, its issuer is simply not in poppler's trust store.
      "- Certificate Validation: Certificate issuer isn't Trusted.",
    ]);
    expect(lines.filter((l) => l.startsWith("Signature #"))).to.have.length(1);

    // One byte changed in the signed range: the signature no longer holds.
    const changed = Buffer.from(pdf);
    const at = changed.indexOf(`(Certificate of blockchain-anchored evidence ${id})`);
    expect(at).to.be.greaterThan(0);
    changed[at + 1] = "K".charCodeAt(0); // the document's title, in its information dictionary
    const changedPath = join(dir.path, "changed.pdf");
    writeFileSync(changedPath, changed);
    const broken = await run("pdfsig", [changedPath]).catch((error) => error as { stdout: string });
    expect(broken.stdout).to.include("- Signature Validation: Digest Mismatch.");
  });

  it("names its issuer, numbers its pages, and gives no verification address when PUBLIC_URL is a loopback address", async () => {
    const id = await upload("issuer and pages");
    const { pdf } = await certificate(id);
    const text = await pdfText(pdf);
    const footers = [...text.matchAll(/Certificate of evidence (\S+) · page (\d+) of (\d+)/g)];
    // As many pages as pdfinfo counts (the custody list makes it longer or shorter), each numbered x of y.
    const path = join(dir.path, "pages.pdf");
    writeFileSync(path, pdf);
    const pages = Number(/^Pages:\s+(\d+)$/m.exec((await run("pdfinfo", [path])).stdout)![1]);
    expect(pages).to.be.oneOf([4, 5]);
    expect(footers.map((f) => [f[1], f[2], f[3]])).to.deep.equal(
      Array.from({ length: pages }, (_, i) => [id, String(i + 1), String(pages)]),
    );
    expectInText(text, [
      `Issued by: ${OPERATOR.OPERATOR_NAME} · ${OPERATOR.OPERATOR_CONTACT}`,
      OPERATOR.OPERATOR_STATEMENT,
      "Electronic signature: this PDF is signed with the certificate of O=Evidence Anchor Tests, CN=Evidence Operator, issued by O=Evidence Anchor Tests, CN=Test Signing CA",
      "e) This certificate gives no web address of the issuing service: the steps above need nothing from it, only the file, its receipt and the chain.",
      "1. The evidence (an uploaded file)",
      "File name (as stated by the submitter): evidence.txt",
    ]);
    expect(text).not.to.include("/verify");
    expect(text).not.to.include("Verify online");
    expect(await pdfImages(pdf), "no QR code").to.deep.equal([]);
  });

  it("states what a capture through a redirect observed: URLs, statuses, server, browser, times, the page's picture and the files", async () => {
    const result = await waitForCapture(
      api,
      ((await (await api.postJson("/v1/captures", { url: `${market.origin}/go/8842`, caseRef: "CASE-9" })).json()) as Json).id,
    );
    expect(result.status, result.failureReason).to.equal("anchored");
    const manifestId = result.manifest.evidenceId;
    const manifest = JSON.parse(await (await api.get(`/v1/evidence/${manifestId}/content`)).text()) as Json;
    await waitForAnchored(api, manifestId);
    const { pdf } = await certificate(manifestId);
    const text = await pdfText(pdf);
    const artifactRows = manifest.artifacts.flatMap((a: Json) => [
      `${a.role}: ${a.fileName}, ${a.mediaType}, ${a.size.toLocaleString("en-US")} bytes, evidence ${a.evidenceId}`,
      `SHA-256: ${a.sha256}`,
      `CID: ${a.cid}`,
    ]);
    expectInText(text, [
      "1. The capture (observed by the service)",
      `Final URL (observed by the service): ${market.origin}/item/8842`,
      `Requested URL: ${market.origin}/go/8842`,
      "Navigations, in order (the redirect chain):",
      `1. ${market.origin}/go/8842 — HTTP 302 (reached by the requested URL)`,
      `2. ${market.origin}/item/8842 — HTTP 200 (reached by an HTTP redirect)`,
      "The page answered 200 OK.",
      "HTTP status of the final page: 200 OK",
      `Server address (resolved and connected to by the service): 127.0.0.1, port ${market.port}`,
      "TLS: none: plain HTTP, no server certificate",
      `Browser: Chromium ${manifest.browser.version}, window 1366 × 900 pixels`,
      `User agent: ${manifest.browser.userAgent}`,
      "Device: a desktop window, no device emulated",
      "Profile: new empty profile: created for this capture alone, with no cookies, cache, history or logins from any other visit",
      "closed: the browser's own DNS, pop-ups, QUIC, service workers, WebRTC, WebTransport (details in the manifest)",
      `Started (UTC, the service's clock): ${utcMs(manifest.startedAt)}`,
      `Ended (UTC, the service's clock): ${utcMs(manifest.endedAt)}`,
      "Outcome: captured: the page was loaded and the files below were taken and stored; the manifest listing them, with their SHA-256, is anchored",
      `Service commit (git): ${manifest.service.commit}`,
      `Host system: ${manifest.environment.os.distribution}, Linux kernel ${manifest.environment.os.release}`,
      "Hosts the browser asked for (resolved and checked by the service's proxy):",
      `127.0.0.1, port ${market.port}: an address; connected to 127.0.0.1`,
      `Egress rule: ${manifest.environment.egressRule}`,
      `Video of the visit: ${utcMs(manifest.video.startedAt)} to ${utcMs(manifest.video.endedAt)}, at the pace it happened (${manifest.video.encoder}); the file is listed below`,
      "Case reference (as stated by the requester): CASE-9",
      "Title: Designer handbag — genuine leather",
      "Price: 39.99 USD",
      "Seller: Bargain Bags (id seller-77)",
      "The first screen of the screenshot (1366 × 900 pixels of the full-page screenshot), scaled:",
      ...artifactRows,
      `The manifest listing them: evidence ${manifestId}`,
      "File name (given by the service): capture-manifest.json",
      // The declaration for a capture, in English and in Chinese (simplified, set in the CJK font).
      `2. Between ${utcMs(manifest.startedAt)} and ${utcMs(manifest.endedAt)}, at the request of one of its account holders, the system loaded ${market.origin}/go/8842 in Chromium ${manifest.browser.version} with a new, empty browser profile, and recorded what it observed: the address of the page it finally received, ${market.origin}/item/8842; the HTTP status it answered with, 200 OK; the address of the server it came from, 127.0.0.1.`,
      "This certificate is about that manifest.",
      "8. 运营方声明（模板；第7节的中文文本）",
      `二、${utcMs(manifest.startedAt)} 至 ${utcMs(manifest.endedAt)} 期间，系统应其一名账户持有人的请求，使用新建的空白浏览器配置文件，在 Chromium ${manifest.browser.version} 中加载了 ${market.origin}/go/8842，并记录了其观察到的事实：最终收到的页面网址为 ${market.origin}/item/8842；该页面返回的HTTP状态为 200 OK；页面来自服务器地址 127.0.0.1。`,
      "本证书所涉证据即为该清单。",
      "该链是由运营方运行的开发链：运行者可以更改或删除该记录，因此该记录不作为时间证明。",
    ]);
    // What the service observed is never put as a user's claim, and nothing claims what a development chain cannot prove.
    for (const never of ["claimed by the submitter", "as stated by the submitter", "cannot alter or remove", "无法更改"]) {
      expect(text).not.to.include(never);
    }
    expect(await pdfImages(pdf), "the screenshot's first screen, and no QR code").to.deep.equal([{ width: 1366, height: 900 }]);

    // A file of the capture: its certificate says what it is and shows the capture it belongs to.
    const screenshot = manifest.artifacts.find((a: Json) => a.role === "screenshot");
    await waitForAnchored(api, screenshot.evidenceId);
    const artifactText = await pdfText((await certificate(screenshot.evidenceId)).pdf);
    expectInText(artifactText, [
      "1. The evidence: the screenshot file of a capture made by the service",
      "File name (given by the service): screenshot.png",
      `Belongs to the capture manifest: ${manifestId}`,
      "1.1 The capture (observed by the service)",
      `Final URL (observed by the service): ${market.origin}/item/8842`,
      `Requested URL: ${market.origin}/go/8842`,
      `The file described in section 1 is one of those files, with SHA-256 hash value ${screenshot.sha256}`,
    ]);
    expect(artifactText).not.to.include("as stated by the submitter");
  });

  it("says in words that a capture made as a phone was made by the browser presenting itself as one, not on a phone", async () => {
    const queued = (await (await api.postJson("/v1/captures", { url: `${market.origin}/item/8842`, device: "mobile" })).json()) as Json;
    const result = await waitForCapture(api, queued.id);
    expect(result.status, result.failureReason).to.equal("anchored");
    const manifestId = result.manifest.evidenceId;
    const manifest = JSON.parse(await (await api.get(`/v1/evidence/${manifestId}/content`)).text()) as Json;
    await waitForAnchored(api, manifestId);
    const text = await pdfText((await certificate(manifestId)).pdf);
    const profile = `playwright-core's "Pixel 7" profile: screen 412 × 915, device scale factor 2.625, mobile layout, touch, its user agent`;
    expectInText(text, [
      `Browser: Chromium ${manifest.browser.version}, window 412 × 839 pixels`,
      `Device: a phone, emulated (${profile}); no phone was used`,
      `with a new, empty browser profile, presenting itself as a phone (${profile}; no phone was used), and recorded what it observed`,
      "使用新建的空白浏览器配置文件，并以模拟手机的方式呈现（playwright-core 的“Pixel 7”设备配置：屏幕 412 × 915，设备像素比 2.625，移动版布局、触控、该配置的用户代理；并未使用真实手机），在 Chromium",
    ]);
  });

  it("says plainly that a removed listing's page answered 404", async () => {
    const result = await waitForCapture(
      api,
      ((await (await api.postJson("/v1/captures", { url: `${market.origin}/item/removed` })).json()) as Json).id,
    );
    expect([result.status, result.httpStatus]).to.deep.equal(["anchored", 404]);
    const text = await pdfText((await certificate(result.manifest.evidenceId)).pdf);
    expectInText(text, [
      `Final URL (observed by the service): ${market.origin}/item/removed`,
      "The page answered 404 Not Found; the listing was no longer available.",
      "HTTP status of the final page: 404 Not Found",
      // The capture succeeded: the page's answer is the evidence.
      "Outcome: captured: the page was loaded and the files below were taken and stored; the manifest listing them, with their SHA-256, is anchored",
      "the HTTP status it answered with, 404 Not Found",
      "该页面返回的HTTP状态为 404 Not Found",
    ]);
    expect(text).not.to.include("The page answered 200");
  });

  it("refuses, 500 CERTIFICATE_INTEGRITY, a certificate whose stored bytes or recorded hash were changed", async () => {
    const id = await upload("tampered with");
    const { pdf } = await certificate(id);
    const row = db.prepare("SELECT cid, sha256 FROM certificates WHERE evidence_id = ?").get(id) as { cid: string; sha256: string };
    const expectRefused = async (reason: RegExp) => {
      const response = await api.get(`/v1/evidence/${id}/certificate.pdf`);
      const body = (await response.json()) as Json;
      expect(response.status, JSON.stringify(body)).to.equal(500);
      expect(body.code).to.equal("CERTIFICATE_INTEGRITY");
      expect(body.detail).to.match(reason);
      expect((await api.get(`/v1/evidence/${id}/bundle`)).status).to.equal(500);
    };

    // The root block of the PDF's DAG, edited on disk.
    const blockFile = findBlockFile(join(dir.path, "data", "ipfs"), row.cid);
    const block = readFileSync(blockFile);
    const edited = Buffer.from(block);
    edited[edited.length - 1]! ^= 1;
    writeFileSync(blockFile, edited);
    await expectRefused(
      /^The stored certificate of evidence \S+ no longer matches the SHA-256 recorded when it was made \(block \S+ does not match its CID\): it will not be served$/,
    );
    writeFileSync(blockFile, block);

    // The recorded hash, edited in the index.
    db.prepare("UPDATE certificates SET sha256 = ? WHERE evidence_id = ?").run("0".repeat(64), id);
    await expectRefused(
      new RegExp(`\\(its bytes hash to ${row.sha256} \\(${pdf.length} bytes\\); 0{64} \\(${pdf.length} bytes\\) was recorded\\)`),
    );
    db.prepare("UPDATE certificates SET sha256 = ? WHERE evidence_id = ?").run(row.sha256, id);
    expect((await certificate(id)).pdf.equals(pdf)).to.equal(true);
  });

  it("refuses to start, exit 2 CONFIG_INVALID, with a wrong password or a file that is not PKCS#12, never printing the password", async () => {
    const start = async (env: Record<string, string>) => {
      const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN], {
        env: { ...process.env, DATA_DIR: join(dir.path, "refused"), PORT: "0", CHAIN_PORT: "0", LOG_LEVEL: "info", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout!.on("data", (d) => (output += d));
      child.stderr!.on("data", (d) => (output += d));
      const [code] = await once(child, "exit");
      return { code, output };
    };
    const wrong = await start({ CERTIFICATE_SIGNING_P12: key.p12File, CERTIFICATE_SIGNING_P12_PASSWORD: "not the password at all" });
    expect(wrong.code, wrong.output).to.equal(2);
    expect(wrong.output).to.include(
      `Invalid configuration: CERTIFICATE_SIGNING_P12_PASSWORD does not open the PKCS#12 file (its integrity check fails with it) ${key.p12File}`,
    );
    expect(wrong.output).not.to.include("not the password at all");

    const notP12 = join(dir.path, "not.p12");
    writeFileSync(notP12, key.caPem);
    const bad = await start({ CERTIFICATE_SIGNING_P12: notP12, CERTIFICATE_SIGNING_P12_PASSWORD: PASSWORD });
    expect(bad.code, bad.output).to.equal(2);
    expect(bad.output).to.match(
      new RegExp(`Invalid configuration: CERTIFICATE_SIGNING_P12: ${notP12} is not a PKCS#12 file this service can read \\(`),
    );
    expect(bad.output).not.to.include(PASSWORD);

    const missing = await start({ CERTIFICATE_SIGNING_P12_PASSWORD: PASSWORD });
    expect(missing.code, missing.output).to.equal(2);
    expect(missing.output).to.include("Invalid configuration: CERTIFICATE_SIGNING_P12 is required with CERTIFICATE_SIGNING_P12_PASSWORD");
    expect(missing.output).not.to.include(PASSWORD);
  });
});
