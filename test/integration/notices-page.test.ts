/**
 * The tracking page (GET /notices) in a real headless Chromium, on a real service (embedded chain):
 * a rights-holder pastes its key, files a notice through the form, follows it to "anchored" and
 * downloads the receipt of its first step; an incomplete notice names what the law asks for; a wrong
 * key says so. Notices are filed without captures (no listing is fetched) but one, whose listing is on the
 * fixture marketplace on 127.0.0.1; the case clock is moved, not waited for. Screenshots go to test-results/.
 */
import { expect } from "chai";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "../helpers/browser.ts";
import { startMarketplace, type Marketplace } from "../helpers/fixture-marketplace.ts";
import { client, startTestService, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;
const ARTIFACTS = new URL("../../test-results/", import.meta.url).pathname;
// Markup in what the user typed must come back as text.
const OWNER = 'Acme <img src=x id=injected> "Brands" GmbH';
const utc = (iso: string) => iso.replace(/\.\d+Z$/, " UTC").replace("T", " ");

describe("the tracking page (GET /notices) in Chromium", function () {
  this.timeout(60_000);
  const dir = tempDir("notices-page-");
  let service: TestService;
  let market: Marketplace;
  /** How far the service's case clock is ahead of real time (a test moves it past a deadline). */
  let clockOffsetMs = 0;
  let browser: Browser;
  let page: Page;
  let platform: Json;
  let holder: Json;
  const origins = new Set<string>();
  const problems: string[] = [];

  before(async () => {
    market = await startMarketplace();
    market.serve("/item/L-300", "<!doctype html><title>ACME sneakers</title><h1>ACME sneakers, 19.99</h1>");
    service = await startTestService(
      join(dir.path, "data"),
      { CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`, CAPTURE_TIMEOUT_MS: "8000", CASE_TIMER_INTERVAL_MS: "100" },
      { clock: () => new Date(Date.now() + clockOffsetMs) },
    );
    const admin = client(service.url);
    platform = (await (await admin.postJson("/v1/accounts", { name: "Marketplace Ltd", role: "platform" })).json()) as Json;
    browser = await launchBrowser();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  // A rights-holder of its own for each test, so that no test sees another's notices.
  beforeEach(async () => {
    const admin = client(service.url);
    holder = (await (await admin.postJson("/v1/accounts", { name: "Brand Protection Ltd", role: "rights-holder" })).json()) as Json;
    page = await browser.newPage({ viewport: { width: 1100, height: 1400 }, acceptDownloads: true });
    origins.clear();
    problems.length = 0;
    page.on("request", (r) => origins.add(new URL(r.url()).origin));
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
    await page.goto(`${service.url}/notices`);
  });
  afterEach(async () => {
    clockOffsetMs = 0;
    await page.close();
  });
  after(async () => {
    await browser?.close();
    await service?.stop();
    await market?.close();
    dir.remove();
  });

  async function signIn(key: string) {
    await page.getByLabel("API key").fill(key);
    await page.getByRole("button", { name: "Use this key" }).click();
  }

  async function fillNotice(
    listingId: string,
    { goodFaith = true, capture = false, url = `https://market.example/item/${listingId}` } = {},
  ) {
    await page.getByLabel("Platform account id", { exact: true }).fill(platform.id);
    await page.getByLabel("Listing URL", { exact: true }).fill(url);
    await page.getByLabel("Listing id", { exact: true }).fill(listingId);
    await page.locator("#right-type").selectOption("trademark");
    await page.getByLabel("Owner", { exact: true }).fill(OWNER);
    await page.getByLabel("Jurisdiction", { exact: true }).fill("EU");
    await page.getByLabel(/Registration number/).fill("EUTM 018000001");
    await page
      .getByLabel("Why the listings infringe it", { exact: true })
      .fill("Counterfeit ACME sneakers sold under the registered mark.");
    await page.getByLabel("Name", { exact: true }).fill("Jane Agent");
    await page.getByLabel("Email", { exact: true }).fill("jane@brand.example");
    await page.getByLabel(/Signature/).fill("Jane Agent");
    if (goodFaith) await page.getByLabel(/good faith/).check();
    await page.getByLabel(/accurate and complete/).check();
    await page.getByLabel(/penalty of perjury/).check();
    // Off unless asked, so that no listing is fetched (the box is ticked by default).
    expect(await page.getByLabel(/Capture each listing/).isChecked()).to.equal(true);
    if (!capture) await page.getByLabel(/Capture each listing/).uncheck();
  }

  it("files a notice through the form, lists it, shows its timeline until anchored and downloads its receipt", async () => {
    await signIn(holder.apiKey);
    await page.locator("#account", { hasText: "Signed in" }).waitFor();
    expect(await page.locator("#account").textContent()).to.equal(
      `Signed in as Brand Protection Ltd (rights-holder, account ${holder.id}).`,
    );
    expect(await page.locator("#no-notices").isVisible()).to.equal(true);

    await fillNotice("L-100");
    await page.getByRole("button", { name: "File the notice" }).click();
    await page.locator("#case:not([hidden])").waitFor();

    const api = client(service.url, holder.apiKey);
    const { notices } = (await (await api.get("/v1/notices")).json()) as Json;
    expect(notices).to.have.length(1);
    const notice = notices[0];
    const timeline = (await (await api.get(`/v1/notices/${notice.id}`)).json()) as Json;
    expect(timeline.captures).to.deep.equal([]);
    const filedStep = timeline.steps[0];
    expect(filedStep.type).to.equal("notice.filed");

    // The list: one row, as the API has it.
    const row = page.locator(`#notices tr[data-notice="${notice.id}"] td`);
    expect(await row.allTextContents()).to.deep.equal([
      notice.id,
      "filed",
      platform.id,
      utc(notice.filedAt),
      utc(new Date(Date.parse(notice.filedAt) + 24 * 3600_000).toISOString()),
      "no",
    ]);
    expect(await page.locator("#case-title").textContent()).to.equal(`Notice ${notice.id}`);
    expect(await page.locator("#case-facts").textContent()).to.include(`Righttrademark, ${OWNER}, EU, EUTM 018000001`);
    expect(await page.locator("#injected").count()).to.equal(0);

    // The timeline: the filing step with its evidence; refreshed until its batch is anchored.
    const step = page.locator('#steps tr[data-step="notice.filed"] td');
    expect(await step.nth(2).textContent()).to.equal("notice.filed");
    expect(await step.nth(3).textContent()).to.equal(filedStep.evidenceId);
    expect(await step.nth(1).textContent()).to.equal(utc(filedStep.at));
    expect(await page.locator("#no-captures").textContent()).to.equal("No captures.");
    expect(await page.locator("#deadlines").textContent()).to.equal(`decision-due: ${utc(notice.decisionDueAt)}`);
    const deadline = Date.now() + 20_000;
    while (!(await step.nth(4).textContent())!.startsWith("anchored")) {
      if (Date.now() > deadline) throw new Error(`still "${await step.nth(4).textContent()}" after 20 s`);
      await page.waitForTimeout(200);
      await page.getByRole("button", { name: "Refresh", exact: true }).click();
    }
    const anchored = (await (await api.get(`/v1/notices/${notice.id}`)).json()) as Json;
    expect(await step.nth(4).textContent()).to.equal(`anchored, block ${anchored.steps[0].anchor.blockNumber}`);

    // The receipt: fetched with the key and saved as a file; the same the API gives.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: `Download the receipt of ${filedStep.evidenceId}` }).click(),
    ]);
    expect(download.suggestedFilename()).to.equal(`${filedStep.evidenceId}.receipt.json`);
    const receipt = JSON.parse(readFileSync(await download.path(), "utf8"));
    expect(receipt.evidence.id).to.equal(filedStep.evidenceId);
    expect(receipt).to.deep.equal((await (await api.get(filedStep.links.receipt)).json()) as Json);

    // Only this origin was asked for anything, and the key stayed in the tab's session storage.
    expect([...origins]).to.deep.equal([service.url]);
    expect(problems).to.deep.equal([]);
    const storage = await page.evaluate(() => {
      const g = globalThis as any;
      return [g.sessionStorage.length, g.localStorage.length, g.document.cookie];
    });
    expect(storage).to.deep.equal([1, 0, ""]);
    await page.screenshot({ path: join(ARTIFACTS, "notices-page-timeline.png"), fullPage: true });
  });

  it("names the missing good-faith statement next to its box, with the provision that asks for it, and files nothing", async () => {
    await signIn(holder.apiKey);
    await page.locator("#account", { hasText: "Signed in" }).waitFor();
    const before = ((await (await client(service.url, holder.apiKey).get("/v1/notices")).json()) as Json).notices.length;

    await fillNotice("L-200", { goodFaith: false });
    await page.getByRole("button", { name: "File the notice" }).click();
    await page.locator("#notice-error:not([hidden])").waitFor();

    expect(await page.locator("#notice-error").textContent()).to.equal(
      "The notice was not filed: The notice lacks what the law asks of it: statements.goodFaith",
    );
    const note = page.locator('[data-element="statements.goodFaith"] .field-error');
    expect(await note.allTextContents()).to.deep.equal(["Missing: statements.goodFaith — required by DMCA §512(c)(3)(A)(v)"]);
    expect(await page.locator("#notice-form .field-error").count()).to.equal(1);
    const box = page.locator("#good-faith");
    expect(await box.getAttribute("aria-invalid")).to.equal("true");
    expect(await box.getAttribute("aria-describedby")).to.equal(await note.getAttribute("id"));
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).to.equal("good-faith");
    expect(((await (await client(service.url, holder.apiKey).get("/v1/notices")).json()) as Json).notices).to.have.length(before);
    expect(problems.filter((p) => !p.includes("422"))).to.deep.equal([]);
    await page.screenshot({ path: join(ARTIFACTS, "notices-page-incomplete.png"), fullPage: true });

    // Ticked and sent again from the keyboard: filed, and the note goes.
    await box.focus();
    await page.keyboard.press("Space");
    await page.locator("#file-button").focus();
    await page.keyboard.press("Enter");
    await page.locator("#case:not([hidden])").waitFor();
    expect(await page.locator("#notice-form .field-error").count()).to.equal(0);
  });

  it("shows each listing's capture, refreshed until it is anchored, with its manifest's receipt", async () => {
    await signIn(holder.apiKey);
    await page.locator("#account", { hasText: "Signed in" }).waitFor();
    const url = `${market.origin}/item/L-300`;
    await fillNotice("L-300", { capture: true, url });
    await page.getByRole("button", { name: "File the notice" }).click();
    await page.locator("#case:not([hidden])").waitFor();

    const cells = page.locator("#captures tbody tr td");
    const deadline = Date.now() + 25_000;
    while ((await cells.nth(2).textContent()) !== "anchored") {
      if (Date.now() > deadline) throw new Error(`capture still "${await cells.nth(2).textContent()}" after 25 s`);
      await page.waitForTimeout(300);
      await page.getByRole("button", { name: "Refresh", exact: true }).click();
    }
    const api = client(service.url, holder.apiKey);
    const { notices } = (await (await api.get("/v1/notices")).json()) as Json;
    const [capture] = ((await (await api.get(`/v1/notices/${notices[0].id}`)).json()) as Json).captures;
    expect(capture.status).to.equal("anchored");
    expect(await cells.allTextContents()).to.deep.equal(["L-300", "reported", "anchored", url, "Download"]);
    expect(await page.getByRole("button", { name: `Download the receipt of ${capture.manifestId}` }).count()).to.equal(1);
    expect(market.hits).to.include("/item/L-300");
  });

  it("flags a notice the platform left undecided past its deadline, in the list and in its timeline", async () => {
    const api = client(service.url, holder.apiKey);
    const filed = await api.postJson("/v1/notices", {
      platform: platform.id,
      listings: [{ url: "https://market.example/item/L-400", listingId: "L-400" }],
      right: { type: "copyright", owner: "Acme Photos", jurisdiction: "US" },
      explanation: "Our product photos, copied.",
      notifier: { name: "Jane Agent", email: "jane@brand.example", signature: "Jane Agent" },
      statements: { goodFaith: true, accuracy: true, authorised: true },
      capture: false,
    });
    expect(filed.status).to.equal(201);
    const { id } = (await filed.json()) as Json;
    clockOffsetMs = 25 * 3600_000; // a day and an hour later: past the platform's 24 h

    await signIn(holder.apiKey);
    const overdueCell = page.locator(`#notices tr[data-notice="${id}"] td`).nth(5);
    const deadline = Date.now() + 10_000;
    while (!(await overdueCell.textContent())?.startsWith("overdue")) {
      if (Date.now() > deadline) throw new Error(`still "${await overdueCell.textContent()}" after 10 s`);
      await page.waitForTimeout(200);
      await page.getByRole("button", { name: "Refresh the list" }).click();
    }
    const notice = (await (await api.get(`/v1/notices/${id}`)).json()) as Json;
    expect(await overdueCell.textContent()).to.equal(`overdue since ${utc(notice.overdueAt)}`);

    // Opened from the keyboard: the overdue step is in its timeline, and no deadline is left.
    await page.getByRole("button", { name: `Open notice ${id}` }).focus();
    await page.keyboard.press("Enter");
    await page.locator("#case:not([hidden])").waitFor();
    expect(await page.locator("#steps tbody tr").evaluateAll((rows) => rows.map((r: any) => r.dataset.step))).to.deep.equal([
      "notice.filed",
      "notice.overdue",
    ]);
    expect(await page.locator("#deadlines").textContent()).to.equal("none pending");
  });

  it("says so when the key is wrong, and shows nothing of any account", async () => {
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).to.equal("api-key");
    await page.keyboard.type("not-a-real-key-0123456789");
    await page.keyboard.press("Enter");
    await page.locator("#key-error:not([hidden])").waitFor();
    expect(await page.locator("#key-error").textContent()).to.equal("This API key was not accepted: it is unknown or has been revoked.");
    expect(await page.locator("#signed-in").isHidden()).to.equal(true);
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).to.equal(0);
  });

  it("is served under a CSP that allows only this origin's own scripts, styles and API", async () => {
    const response = await fetch(`${service.url}/notices`);
    expect(response.headers.get("content-type")).to.equal("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).to.equal(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    const script = await fetch(`${service.url}/notices/notices.js`);
    expect(script.headers.get("content-type")).to.equal("text/javascript; charset=utf-8");
    expect(script.headers.get("content-security-policy")).to.equal(response.headers.get("content-security-policy"));
  });
});
