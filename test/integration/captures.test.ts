/**
 * Listing captures in a real headless Chromium against a fixture marketplace on 127.0.0.1: every
 * artifact anchored, a manifest that says how, when and from where, listing data read from the page,
 * failures kept as evidence, and the SSRF guard refusing loopback addresses (loopback only: tests never
 * send traffic anywhere else).
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { RunningService } from "../../src/main.ts";
import { startMarketplace, type Marketplace } from "../helpers/fixture-marketplace.ts";
import { verifyIndependently } from "../helpers/independent-verifier.ts";
import { client, startTestService, waitForAnchored, waitForCapture } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;

describe("listing captures", function () {
  this.timeout(120_000);
  const dir = tempDir("captures-");
  let market: Marketplace;
  let service: RunningService;
  let api: ReturnType<typeof client>;

  before(async () => {
    market = await startMarketplace();
    // Reach the fixture, and only it: its host:port is allowed, every other loopback address refused.
    service = await startTestService(join(dir.path, "data"), {
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
      CAPTURE_TIMEOUT_MS: "8000",
    });
    api = client(service.url);
  });
  after(async () => {
    await service.stop();
    await market.close();
    dir.remove();
  });

  async function capture(path: string, extra: Json = {}) {
    const response = await api.postJson("/v1/captures", { url: market.origin + path, ...extra });
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).to.equal(202);
    expect(body.status).to.equal("queued");
    return waitForCapture(api, body.id);
  }

  async function manifestOf(result: Json): Promise<{ manifest: Json; bytes: Buffer }> {
    const bytes = Buffer.from(await (await api.get(`/v1/evidence/${result.manifest.evidenceId}/content`)).arrayBuffer());
    return { manifest: JSON.parse(bytes.toString()), bytes };
  }

  it("captures a listing through a redirect: artifacts, manifest, listing data, all anchored and verifiable", async () => {
    const result = await capture("/go/8842", { caseRef: "CASE-9", listingId: "8842", note: "reported by the brand" });
    expect(result.status, result.failureReason).to.equal("anchored");
    expect(result.finalUrl).to.equal(`${market.origin}/item/8842`);
    expect(result.httpStatus).to.equal(200);
    expect(result.serverAddress).to.equal("127.0.0.1");
    expect(result.artifacts.map((a: Json) => a.role).sort()).to.deep.equal(["har", "html", "mhtml", "screenshot", "video", "wacz"]);

    const { manifest, bytes } = await manifestOf(result);
    expect(manifest).to.deep.include({
      version: "capture-manifest/v1",
      captureId: result.id,
      requestedUrl: `${market.origin}/go/8842`,
      finalUrl: `${market.origin}/item/8842`,
    });
    expect(manifest.redirects).to.deep.equal([`${market.origin}/go/8842`]);
    expect(manifest.http.status).to.equal(200);
    expect(manifest.http.headers["x-marketplace"]).to.equal("fixture");
    expect(manifest.server).to.deep.equal({ address: "127.0.0.1", port: market.port });
    expect(manifest.tls).to.equal(null); // plain http: no certificate to record
    expect(Date.parse(manifest.endedAt)).to.be.at.least(Date.parse(manifest.startedAt));
    expect(manifest.browser).to.deep.include({ name: "Chromium", profile: "new empty profile", viewport: { width: 1366, height: 900 } });
    expect(manifest.browser.version).to.match(/^\d+\.\d+\.\d+\.\d+$/);
    expect(manifest.browser.userAgent).to.include("Chrome/");
    expect(manifest.service.name).to.equal("evidence-anchor");
    expect(manifest.requestedBy).to.deep.include({ caseRef: "CASE-9", listingId: "8842", note: "reported by the brand" });
    expect(manifest.listing).to.deep.include({
      title: "Designer handbag — genuine leather",
      listingId: "8842",
      price: { amount: "39.99", currency: "USD" },
      seller: { id: "seller-77", name: "Bargain Bags" },
      brand: "Maison Exemple",
      platform: "127.0.0.1",
    });
    expect(manifest.listing.images).to.deep.equal([`${market.origin}/img/8842-1.png`, `${market.origin}/img/8842-2.png`]);
    expect(market.hits).to.include("/slow.css"); // the slow resource was waited for

    // Each artifact is its own evidence item whose bytes match the manifest's entry.
    for (const entry of manifest.artifacts) {
      const content = Buffer.from(await (await api.get(`/v1/evidence/${entry.evidenceId}/content`)).arrayBuffer());
      expect(createHash("sha256").update(content).digest("hex"), entry.role).to.equal(entry.sha256);
      expect(content.length).to.equal(entry.size);
    }
    // Each artifact's type, as the browser made it and as its bytes agree: not text/plain for MHTML and HAR.
    expect(Object.fromEntries(manifest.artifacts.map((a: Json) => [a.role, a.mediaType]))).to.deep.equal({
      screenshot: "image/png",
      mhtml: "multipart/related",
      html: "text/html",
      har: "application/json",
      wacz: "application/wacz",
      video: "video/mp4",
    });
    // ...and so do their stored records, and the capture record.
    for (const entry of manifest.artifacts) {
      const record = (await (await api.get(`/v1/evidence/${entry.evidenceId}`)).json()) as Json;
      expect(record.mediaType, entry.role).to.equal(entry.mediaType);
    }
    expect(result.artifacts.map((a: Json) => [a.role, a.mediaType])).to.deep.equal(
      manifest.artifacts.map((a: Json) => [a.role, a.mediaType]),
    );
    // The capture record and its manifest tell the same start.
    expect(((await (await api.get(`/v1/captures/${result.id}`)).json()) as Json).startedAt).to.equal(manifest.startedAt);
    const html = manifest.artifacts.find((a: Json) => a.role === "html");
    const htmlText = await (await api.get(`/v1/evidence/${html.evidenceId}/content`)).text();
    expect(htmlText).to.include("Designer handbag — genuine leather");
    const mhtml = manifest.artifacts.find((a: Json) => a.role === "mhtml");
    expect(await (await api.get(`/v1/evidence/${mhtml.evidenceId}/content`)).text()).to.include("Content-Type: multipart/related");
    const har = manifest.artifacts.find((a: Json) => a.role === "har");
    const harJson = JSON.parse(await (await api.get(`/v1/evidence/${har.evidenceId}/content`)).text());
    expect(harJson.log.entries.map((e: Json) => e.request.url)).to.include(`${market.origin}/item/8842`);

    // The manifest is anchored like any evidence, and its receipt verifies independently.
    await waitForAnchored(api, result.manifest.evidenceId);
    const receipt = (await (await api.get(`/v1/evidence/${result.manifest.evidenceId}/receipt`)).json()) as Json;
    expect(receipt.evidence.kind).to.equal("capture-manifest");
    await verifyIndependently(receipt, bytes, service.chain.rpcUrl);
    for (const entry of manifest.artifacts) expect((await waitForAnchored(api, entry.evidenceId)).status).to.equal("anchored");

    // ...and its bundle carries the manifest with its receipt, for offline checking.
    const bundle = await api.get(`/v1/evidence/${result.manifest.evidenceId}/bundle`);
    expect(bundle.status).to.equal(200);
    expect(bundle.headers.get("content-type")).to.equal("application/zip");
  });

  it("runs at most CAPTURE_CONCURRENCY (2) browsers at once, and resumes queued and running captures after a restart", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(((await (await api.postJson("/v1/captures", { url: `${market.origin}/slow-item/${i}` })).json()) as Json).id);
    }
    let maxRunning = 0;
    const deadline = Date.now() + 2500;
    while (Date.now() < deadline) {
      const { items } = (await (await api.get("/v1/captures")).json()) as Json;
      const running = items.filter((c: Json) => ids.includes(c.id) && c.status === "running").length;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(maxRunning).to.equal(2);

    // Stop while captures are running or queued; the next start takes them up again.
    await service.stop();
    service = await startTestService(join(dir.path, "data"), {
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
      CAPTURE_TIMEOUT_MS: "8000",
    });
    api = client(service.url);
    for (const id of ids) {
      const result = await waitForCapture(api, id);
      expect(result.status, result.failureReason).to.equal("anchored");
    }
  });

  it("reads listing data from microdata, and says so when a page has none", async () => {
    const micro = await capture("/item/7");
    expect(micro.listing).to.deep.include({
      title: "Leather wallet",
      listingId: "W-7",
      price: { amount: "12.50", currency: "EUR" },
      seller: { name: "Wallet World" },
    });
    expect(micro.listing.source).to.equal("schema.org Product (microdata)");
    const plain = await capture("/about");
    expect(plain.status).to.equal("anchored");
    expect(plain.listing).to.equal(null);
    expect(plain.listingNote).to.match(/no schema.org Product data/);
  });

  it("keeps a removed (404) listing as evidence: the capture succeeded, anchored, the page's 404 shown", async () => {
    const result = await capture("/item/removed");
    expect(result.status).to.equal("anchored");
    expect(result).not.to.have.property("failureReason");
    expect(result.httpStatus).to.equal(404);
    expect(result.artifacts.map((a: Json) => a.role).sort()).to.deep.equal(["har", "html", "mhtml", "screenshot", "video", "wacz"]);
    const { manifest } = await manifestOf(result);
    expect(manifest.outcome).to.deep.equal({ status: "completed" });
    expect(manifest.http).to.deep.include({ status: 404, statusText: "Not Found" });
  });

  it("ends a capture that takes too long as failed, with what was taken", async () => {
    const result = await capture("/never");
    expect(result.status).to.equal("failed");
    expect(result.failureReason).to.match(/^timed out/);
    expect(result.artifacts.map((a: Json) => a.role)).to.include("har");
  });

  it("refuses, in the browser, a subresource and a redirect to other loopback addresses: nothing is sent to them", async () => {
    const leaky = await capture("/item/leaky");
    expect(leaky.status).to.equal("anchored");
    expect(leaky.refusedRequests).to.deep.equal([
      {
        protocol: "http",
        target: `http://127.0.0.2:${market.port}/img/8842-1.png`,
        host: "127.0.0.2",
        port: market.port,
        reason: "127.0.0.2 resolves to 127.0.0.2, which is not a public address",
      },
    ]);
    const redirected = await capture("/go/loopback");
    expect(redirected.status).to.equal("failed");
    expect(redirected.failureReason).to.equal(
      `refused: HTTP redirect to http://[::1]:${market.port}/item/8842: ::1 resolves to ::1, which is not a public address`,
    );
    // The last document received is the redirect itself; nothing reached the address it pointed to.
    expect(redirected.finalUrl).to.equal(`${market.origin}/go/loopback`);
    expect(redirected.httpStatus).to.equal(302);
    const { manifest } = await manifestOf(redirected);
    expect(manifest.navigations).to.deep.equal([
      { url: `${market.origin}/go/loopback`, reachedBy: "initial", httpStatus: 302, refused: false },
      { url: `http://[::1]:${market.port}/item/8842`, reachedBy: "http-redirect", httpStatus: null, refused: true },
    ]);
  });

  it("records the TLS certificate of an HTTPS listing: subject, issuer, validity, SHA-256 fingerprint", async () => {
    const secure = await startTestService(join(dir.path, "tls"), {
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.httpsPort}`,
      CAPTURE_TRUSTED_SPKI: market.certificate.spkiSha256Base64,
    });
    try {
      const secureApi = client(secure.url);
      const { id } = (await (await secureApi.postJson("/v1/captures", { url: `${market.httpsOrigin}/item/8842` })).json()) as Json;
      const result = await waitForCapture(secureApi, id);
      expect(result.status, result.failureReason).to.equal("anchored");
      const bytes = Buffer.from(await (await secureApi.get(`/v1/evidence/${result.manifest.evidenceId}/content`)).arrayBuffer());
      const manifest = JSON.parse(bytes.toString());
      expect(manifest.tls.subject).to.equal("127.0.0.1");
      expect(manifest.tls.issuer).to.equal("127.0.0.1");
      expect(manifest.tls.protocol).to.match(/^TLS 1\.[23]$/);
      expect(manifest.tls.sha256Fingerprint).to.equal(market.certificate.sha256Fingerprint);
      expect(Date.parse(manifest.tls.validTo) - Date.parse(manifest.tls.validFrom)).to.equal(2 * 86_400_000);
      expect(manifest.server).to.deep.equal({ address: "127.0.0.1", port: market.httpsPort });
      expect(manifest.listing.title).to.equal("Designer handbag — genuine leather");
    } finally {
      await secure.stop();
    }
  });

  it("ends a capture whose page loads more than CAPTURE_MAX_BYTES as failed", async () => {
    const small = await startTestService(join(dir.path, "small"), {
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
      CAPTURE_MAX_BYTES: "100000",
    });
    try {
      const smallApi = client(small.url);
      const { id } = (await (await smallApi.postJson("/v1/captures", { url: `${market.origin}/item/heavy` })).json()) as Json;
      const result = await waitForCapture(smallApi, id);
      expect(result.status).to.equal("failed");
      expect(result.failureReason).to.match(/^the page is larger than the limit of 100000 bytes/);
    } finally {
      await small.stop();
    }
  });

  describe("with the default configuration", () => {
    let strict: RunningService;
    before(async () => {
      strict = await startTestService(join(dir.path, "strict"));
    });
    after(async () => strict.stop());

    it("refuses loopback URLs up front with 422 CAPTURE_URL_FORBIDDEN, sending nothing", async () => {
      const hitsBefore = market.hits.length;
      const strictApi = client(strict.url);
      for (const url of [
        `${market.origin}/item/8842`,
        `http://[::1]:${market.port}/item/8842`,
        `http://localhost:${market.port}/item/8842`,
      ]) {
        const response = await strictApi.postJson("/v1/captures", { url });
        const body = (await response.json()) as Json;
        expect(response.status, url).to.equal(422);
        expect(body.error.code).to.equal("CAPTURE_URL_FORBIDDEN");
        expect(body.error.message).to.match(/not a public address/);
      }
      expect(market.hits.length).to.equal(hitsBefore);
    });

    it("refuses what is not an http(s) URL with 400, and bad requests with clear codes", async () => {
      const strictApi = client(strict.url);
      const cases: [unknown, number, string][] = [
        [{ url: "file:///etc/passwd" }, 400, "CAPTURE_URL_INVALID"],
        [{ url: "ftp://example.org/x" }, 400, "CAPTURE_URL_INVALID"],
        [{ url: "not a url" }, 400, "CAPTURE_URL_INVALID"],
        [{ url: "http://user:pw@example.org/" }, 400, "CAPTURE_URL_INVALID"],
        [{}, 400, "INVALID_REQUEST"],
        [{ url: "http://example.org/", extra: 1 }, 400, "UNEXPECTED_FIELD"],
      ];
      for (const [body, status, code] of cases) {
        const response = await strictApi.postJson("/v1/captures", body);
        expect(response.status, JSON.stringify(body)).to.equal(status);
        expect(((await response.json()) as Json).error.code).to.equal(code);
      }
      expect((await client(strict.url, null).postJson("/v1/captures", { url: "http://example.org" })).status).to.equal(401);
      expect((await strictApi.get("/v1/captures/cap_nope")).status).to.equal(404);
    });
  });
});
