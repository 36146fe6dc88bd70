/**
 * The verification page in a real headless Chromium: drop in a receipt and a file, see the verdict.
 * The service time-stamps with a real TSA (OpenSSL's) and anchors on its embedded development chain.
 * Keeps screenshots in test-results/ as artifacts.
 */
import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { RunningService } from "../../src/main.ts";
import { PNG } from "../fixtures/listing-snapshot.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { startOpensslTsa, type OpensslTsa } from "../helpers/openssl-tsa.ts";
import { client, fileForm, startTestService, waitForAnchored, waitForTimestamps } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;
const ARTIFACTS = new URL("../../test-results/", import.meta.url).pathname;

describe("the verification page (GET /verify) in Chromium", function () {
  this.timeout(90_000);
  const dir = tempDir("verify-page-");
  let service: RunningService;
  let tsa: OpensslTsa;
  let browser: Browser;
  let page: Page;
  let receipt: Json;
  const receiptPath = join(dir.path, "receipt.json");
  const filePath = join(dir.path, "listing.png");
  const sentBodies: { url: string; contentType: string; body: string }[] = [];

  before(async () => {
    tsa = await startOpensslTsa();
    service = await startTestService(join(dir.path, "data"), { TSA_URLS: tsa.url, TSA_CA_FILES: tsa.caFile });
    const api = client(service.url);
    const up = (await (
      await api.postForm("/v1/evidence", fileForm({ kind: "screenshot" }, { file: { bytes: PNG, name: "listing.png" } }))
    ).json()) as Json;
    await waitForAnchored(api, up.id);
    receipt = await waitForTimestamps(api, up.id, 1);
    writeFileSync(receiptPath, JSON.stringify(receipt, null, 2));
    writeFileSync(filePath, PNG);
    browser = await launchBrowser();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    sentBodies.length = 0;
    page.on("request", (request) => {
      if (request.method() === "POST") {
        sentBodies.push({
          url: request.url(),
          contentType: request.headers()["content-type"] ?? "",
          body: request.postDataBuffer()?.toString("latin1") ?? "",
        });
      }
    });
    await page.goto(`${service.url}/verify`);
  });
  afterEach(async () => page.close());
  after(async () => {
    await browser?.close();
    await service.stop();
    await tsa.stop();
    dir.remove();
  });

  it("shows the verdict with the earliest proven time, its sources and the development chain, having sent only the receipt", async () => {
    await page.getByLabel("Receipt").setInputFiles(receiptPath);
    await page.getByLabel("Evidence file").setInputFiles(filePath);
    await page.getByRole("button", { name: "Verify" }).click();
    // Verified by the time-stamp; amber, because the chain anchor is on a development chain.
    await page.locator("#result.warn").waitFor();

    expect(await page.locator("#verdict").textContent()).to.equal("✓ Verified");
    const [stamp] = receipt.timestamps;
    const proven = new Date(Date.parse(stamp.genTime) + 1500).toISOString(); // OpenSSL's TSA states ±1.5 s
    const anchorEnd = new Date(receipt.anchor.timestamp * 1000 + 1999).toISOString();
    const summary = await page.locator("#summary").textContent();
    expect(summary).to.equal(
      `VERIFIED: This file existed no later than ${proven} (the RFC 3161 time-stamp of ${tsa.url} (O=Evidence Anchor Tests, CN=Test TSA, serial ${stamp.serialNumber}); genTime ${stamp.genTime}, plus the TSA's stated accuracy of 1500 ms). ` +
        `Also: no later than ${anchorEnd} by block ${receipt.anchor.blockNumber} of local development chain (anvil) (chain id 31337), block time ${new Date(receipt.anchor.timestamp * 1000).toISOString().replace(".000Z", "Z")} (not trusted). ` +
        "The anchor is on a development chain — proves nothing to a third party.",
    );
    const facts = await page.locator("#facts").textContent();
    expect(facts).to.include(receipt.anchor.txHash).and.to.include(String(receipt.anchor.blockNumber));
    expect(facts).to.include(`No later than (time-stamp)${proven.replace("T", " ").replace("Z", " UTC")}`);
    expect(facts).to.include("local development chain (anvil) (chain id 31337, development)");
    const rows = await page
      .locator("#checks tbody tr")
      .evaluateAll((trs) => trs.map((tr: any) => [tr.dataset.check, tr.children[1].textContent, tr.children[3].textContent]));
    expect(rows).to.deep.include.members([
      ["file.sha256", "✓ pass", "your browser"],
      ["metadata.hash", "✓ pass", "your browser"],
      ["merkle.proof", "✓ pass", "your browser"],
      ["chain.identity", "! warning", "this server, from the chain"],
      ["chain.anchor", "✓ pass", "this server, from the chain"],
      ["chain.verify", "✓ pass", "this server, from the chain"],
      ["time.anchor", "✓ pass", "this server"],
      ["timestamp.1", "✓ pass", "this server, with the CAs it trusts"],
    ]);
    // The file stayed in the browser: one JSON request, carrying the receipt and not the file's bytes.
    expect(sentBodies).to.have.length(1);
    expect(sentBodies[0]!.contentType).to.equal("application/json");
    expect(sentBodies[0]!.body).not.to.include(PNG.subarray(0, 16).toString("latin1"));
    await page.screenshot({ path: join(ARTIFACTS, "verify-page-verified.png"), fullPage: true });
  });

  it("says a development chain proves nothing to a third party when no time-stamp backs the anchor", async () => {
    const bare = join(dir.path, "no-timestamps.json");
    writeFileSync(bare, JSON.stringify({ ...receipt, timestamps: [], timestampsPending: [] }));
    await page.getByLabel("Receipt").setInputFiles(bare);
    await page.getByLabel("Evidence file").setInputFiles(filePath);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator("#result.warn").waitFor();
    expect(await page.locator("#verdict").textContent()).to.equal("! Development chain — proves nothing to a third party");
    expect(await page.locator("#summary").textContent()).to.match(
      /^VERIFIED ON A DEVELOPMENT CHAIN ONLY — development chain — proves nothing to a third party: anyone can run chain 31337/,
    );
    await page.screenshot({ path: join(ARTIFACTS, "verify-page-development-chain.png"), fullPage: true });
  });

  it("shows a red verdict naming the time-stamp when one byte of its token is altered", async () => {
    const token = Buffer.from(receipt.timestamps[0].token, "base64");
    token[token.length - 10]! ^= 0x01; // inside the signature
    const altered = join(dir.path, "altered-token.json");
    writeFileSync(altered, JSON.stringify({ ...receipt, timestamps: [{ ...receipt.timestamps[0], token: token.toString("base64") }] }));
    await page.getByLabel("Receipt").setInputFiles(altered);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator("#result.bad").waitFor();
    expect(await page.locator("#verdict").textContent()).to.equal("✗ Not verified");
    expect(await page.locator('tr[data-check="timestamp.1"] td').nth(1).textContent()).to.equal("✗ fail");
    expect(await page.locator('tr[data-check="timestamp.1"] td').nth(2).textContent()).to.include("tsa.signature failed");
  });

  it("shows a red verdict naming the failed check for a file with one byte changed", async () => {
    const altered = Buffer.from(PNG);
    altered[30]! ^= 0x01;
    const alteredPath = join(dir.path, "altered.png");
    writeFileSync(alteredPath, altered);
    await page.getByLabel("Receipt").setInputFiles(receiptPath);
    await page.getByLabel("Evidence file").setInputFiles(alteredPath);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator("#result.bad").waitFor();
    expect(await page.locator("#verdict").textContent()).to.equal("✗ Not verified");
    expect(await page.locator("#summary").textContent()).to.match(/Failed: file SHA-256/);
    expect(await page.locator('tr[data-check="file.sha256"] td').nth(1).textContent()).to.equal("✗ fail");
    await page.screenshot({ path: join(ARTIFACTS, "verify-page-tampered.png"), fullPage: true });
  });

  it("sends the file only when the user ticks the box, and then checks its CID too", async () => {
    await page.getByLabel("Receipt").setInputFiles(receiptPath);
    await page.getByLabel("Evidence file").setInputFiles(filePath);
    await page.getByLabel(/Also send the file/).check();
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator("#result.warn").waitFor();
    expect(sentBodies[0]!.contentType).to.match(/^multipart\/form-data/);
    expect(await page.locator('tr[data-check="file.cid"] td').nth(1).textContent()).to.equal("✓ pass");
  });

  it("can be used from the keyboard alone, and says so when no receipt was chosen", async () => {
    await page.keyboard.press("Tab"); // the receipt input
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).to.equal("receipt");
    await page.locator("#verify-button").focus();
    await page.keyboard.press("Enter");
    await page.locator("#form-error:not([hidden])").waitFor();
    expect(await page.locator("#form-error").textContent()).to.equal("Choose the receipt (receipt.json) first.");
    expect(await page.getByRole("alert").count()).to.equal(1);
  });

  it("refuses a JSON file that is not a receipt", async () => {
    const notReceipt = join(dir.path, "other.json");
    writeFileSync(notReceipt, JSON.stringify({ hello: "world" }));
    await page.getByLabel("Receipt").setInputFiles(notReceipt);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.locator("#form-error:not([hidden])").waitFor();
    expect(await page.locator("#form-error").textContent()).to.equal("That file is not an evidence receipt (evidence-receipt/v1 or v2).");
  });
});
