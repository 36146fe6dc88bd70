/**
 * A case's bundle, checked as the lawyer who downloads it would: a notice filed and decided with a
 * takedown snapshot (no browser captures: capture false), every step anchored; the bundle unzipped, its
 * index read against the files (each SHA-256 recomputed), each receipt against its document, each step's
 * document against the one before it, the timeline against GET /v1/notices/:id; the bundle's own
 * verify.mjs run over it under the system's Node 20; a non-party refused; and each item handed out
 * recorded in the custody log.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { canonicalJson } from "../../src/domain/canonical-json.ts";
import { ADMIN_KEY, client, startTestService, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { unzip, type ZipEntry } from "../helpers/unzip.ts";

type Json = Record<string, any>;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const run = promisify(execFile);
const SYSTEM_NODE = process.env.SYSTEM_NODE ?? "/usr/bin/node";

const SNAPSHOT = {
  url: "https://market.example/item/L1",
  platform: "market.example",
  listingId: "L1",
  title: "Counterfeit handbag",
  price: { amount: "39.99", currency: "EUR" },
  seller: { id: "seller-7", name: "Bargain Bags" },
  capturedAt: "2026-11-27T10:00:00Z",
};
const NOTICE = {
  listings: [{ url: SNAPSHOT.url, listingId: "L1", sellerId: "seller-7" }],
  right: { type: "trademark", owner: "Brand SA", jurisdiction: "EU", registrationNumber: "EUTM 0001" },
  explanation: "The listing sells counterfeit goods bearing our registered mark.",
  notifier: { name: "Ana Lawyer", email: "ana@brand.example", signature: "/Ana Lawyer/" },
  statements: { goodFaith: true, accuracy: true, authorised: true },
  capture: false,
};
const DECISION = {
  listings: [{ listingId: "L1", action: "remove", sellerId: "seller-7" }],
  statementOfReasons: {
    facts: "The listing offers goods bearing the notifier's mark without authorisation.",
    ground: "illegal-content",
    legalGround: "Regulation (EU) 2017/1001 art. 9",
    automatedDetection: false,
    automatedDecision: false,
    redress: "Internal complaint within six months; out-of-court dispute settlement; the courts.",
  },
  takedownSnapshots: [{ listingId: "L1", snapshot: SNAPSHOT }],
  capture: false,
};
const STEPS = ["notice.filed", "notice.decided", "takedown.preserved"];
const FOLDERS = ["01-notice.filed", "02-notice.decided", "03-takedown.preserved"];

describe("a case's bundle (GET /v1/notices/:id/bundle)", function () {
  this.timeout(60_000);
  const dir = tempDir("case-bundle-");
  let service: TestService;
  let admin: ReturnType<typeof client>;
  let holder: Json;
  let platform: Json;
  let stranger: Json;
  let caseId: string;
  let timeline: Json;
  let files: Map<string, ZipEntry>;
  let index: Json;
  let downloadedAt: string;

  const as = (account: Json) => client(service.url, account.apiKey);
  const text = (name: string) => files.get(name)!.bytes.toString("utf8");
  const json = (name: string) => JSON.parse(text(name)) as Json;

  before(async () => {
    service = await startTestService(join(dir.path, "data"), { CASE_TIMER_INTERVAL_MS: "50" });
    admin = client(service.url, ADMIN_KEY);
    const account = async (name: string, role: string) => (await (await admin.postJson("/v1/accounts", { name, role })).json()) as Json;
    platform = await account("Market Example Ltd", "platform");
    holder = await account("Brand SA legal", "rights-holder");
    stranger = await account("Someone Else", "rights-holder");

    const filed = await as(holder).postJson("/v1/notices", { ...NOTICE, platform: platform.id });
    expect(filed.status).to.equal(201);
    caseId = ((await filed.json()) as Json).id;
    const decided = await as(platform).postJson(`/v1/notices/${caseId}/decisions`, DECISION);
    expect(decided.status, await decided.clone().text()).to.equal(201);

    // Every step recorded (the takedown is confirmed by the service at once: no captures were asked) and anchored.
    const deadline = Date.now() + 30_000;
    for (;;) {
      timeline = (await (await as(holder).get(`/v1/notices/${caseId}`)).json()) as Json;
      const items = [...timeline.steps, ...timeline.takedownSnapshots];
      if (timeline.steps.length === 3 && items.every((i: Json) => i.anchor.status === "anchored")) break;
      if (Date.now() > deadline) throw new Error(`the case's steps are not all anchored: ${JSON.stringify(timeline.steps)}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    downloadedAt = new Date().toISOString();
    const response = await as(holder).get(`/v1/notices/${caseId}/bundle`);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.equal("application/zip");
    expect(response.headers.get("content-disposition")).to.equal(`attachment; filename="${caseId}.case-bundle.zip"`);
    const zip = Buffer.from(await response.arrayBuffer());
    writeFileSync(join(dir.path, "bundle.zip"), zip);
    files = await unzip(zip);
    index = json("index.json");
  });
  after(async () => {
    await service?.stop();
    dir.remove();
  });

  it("lists the case, its parties and each step in order, with the SHA-256 of the file it names", () => {
    expect(index.format).to.equal("case-bundle/v1");
    expect(index.case).to.include({ id: caseId, status: "decided", platform: platform.id, notifier: holder.id });
    expect(index.parties).to.have.deep.members([
      { accountId: holder.id, name: "Brand SA legal", role: "rights-holder" },
      { accountId: platform.id, name: "Market Example Ltd", role: "platform" },
    ]);
    expect(index.steps.map((s: Json) => [s.seq, s.type, s.document.folder])).to.deep.equal(
      STEPS.map((type, i) => [i + 1, type, `${FOLDERS[i]}/`]),
    );
    for (const [i, step] of index.steps.entries()) {
      const shown = timeline.steps[i];
      expect([step.at, step.document.evidenceId]).to.deep.equal([shown.at, shown.evidenceId]);
      expect(step.document.file).to.equal(`${FOLDERS[i]}/${STEPS[i]}.json`);
      expect(sha256(files.get(step.document.file)!.bytes)).to.equal(step.document.sha256);
      expect(step.document.anchor).to.deep.equal({ status: "anchored", ...shown.anchor });
      expect(step.document.missing).to.deep.equal([]);
      expect(step.document.files).to.deep.equal(
        [`${STEPS[i]}.json`, "receipt.json", "metadata.json", "content.car", "custody.json", "certificate.pdf"].map(
          (f) => `${FOLDERS[i]}/${f}`,
        ),
      );
      for (const f of step.document.files) expect(files.has(f), f).to.equal(true);
    }
    expect(index.steps.map((s: Json) => s.actor)).to.deep.equal([
      { accountId: holder.id, name: "Brand SA legal", role: "rights-holder" },
      { accountId: platform.id, name: "Market Example Ltd", role: "platform" },
      { service: true },
    ]);
    // The case's timeline, as GET /v1/notices/:id gives it.
    expect(index.timeline).to.deep.equal(timeline);
    expect(index.generatedAt >= downloadedAt).to.equal(true);
  });

  it("holds each step's document as recorded, each naming the step before it by SHA-256", () => {
    let previous: Json | null = null;
    for (const [i, step] of index.steps.entries()) {
      const bytes = files.get(step.document.file)!.bytes;
      const document = JSON.parse(bytes.toString("utf8")) as Json;
      expect(canonicalJson(document)).to.equal(bytes.toString("utf8"));
      expect(document).to.deep.include({ version: "case-event/v1", seq: i + 1, type: STEPS[i], at: step.at, previous });
      // Each step names its case; the first holds the notice itself.
      expect(document.case).to.equal(caseId);
      if (i === 0) expect(document.notice.explanation).to.equal(NOTICE.explanation);
      previous = { evidenceId: step.document.evidenceId, sha256: step.document.sha256 };
    }
  });

  it("gives each item a receipt that matches its document and metadata, and a certificate", () => {
    const snapshot = index.steps[1].takedownSnapshots[0];
    expect(snapshot).to.deep.include({
      listingId: "L1",
      evidenceId: timeline.takedownSnapshots[0].evidenceId,
      folder: "02-notice.decided/takedown-snapshot-L1/",
      file: "02-notice.decided/takedown-snapshot-L1/listing-snapshot.json",
      missing: [],
    });
    expect(text(snapshot.file)).to.equal(canonicalJson(SNAPSHOT));
    for (const item of [...index.steps.map((s: Json) => s.document), snapshot]) {
      const receipt = json(`${item.folder}receipt.json`);
      const bytes = files.get(item.file)!.bytes;
      expect(receipt.evidence).to.deep.include({ id: item.evidenceId, sha256: sha256(bytes), size: bytes.length });
      expect(sha256(files.get(`${item.folder}metadata.json`)!.bytes)).to.equal(receipt.evidence.metadataSha256);
      expect(receipt.anchor).to.deep.include({
        chainId: item.anchor.chainId,
        blockNumber: item.anchor.blockNumber,
        txHash: item.anchor.txHash,
      });
      expect(json(`${item.folder}custody.json`).evidenceId).to.equal(item.evidenceId);
      expect(files.get(`${item.folder}certificate.pdf`)!.bytes.subarray(0, 5).toString()).to.equal("%PDF-");
    }
  });

  it("says the same in INDEX.txt, in plain English", () => {
    const lines = text("INDEX.txt").split("\n");
    expect(lines[0]).to.equal(`CASE BUNDLE ${caseId}`);
    expect(lines).to.include(`rights-holder ${holder.id}  Brand SA legal`);
    expect(lines).to.include(`platform      ${platform.id}  Market Example Ltd`);
    for (const [i, step] of index.steps.entries()) {
      const at = lines.indexOf(`Step ${i + 1} of 3: ${STEPS[i]}`);
      expect(at, STEPS[i]).to.be.greaterThan(0);
      const a = step.document.anchor;
      expect(lines.slice(at + 1, at + 7)).to.deep.equal([
        `  at         ${step.at}`,
        `  by         ${i === 0 ? `${holder.id} (Brand SA legal, rights-holder)` : i === 1 ? `${platform.id} (Market Example Ltd, platform)` : "the service itself (a deadline passed, or captures ended)"}`,
        `  folder     ${FOLDERS[i]}/`,
        `  evidence   ${step.document.evidenceId}`,
        `  SHA-256    ${step.document.sha256} (of ${FOLDERS[i]}/${STEPS[i]}.json)`,
        `  anchor     anchored on chain ${a.chainId}, block ${a.blockNumber}, transaction ${a.txHash}`,
      ]);
    }
    expect(lines.filter((l) => l.includes("missing"))).to.deep.equal([]);
  });

  it("is checked item by item by its own verify.mjs, under the system's Node", async () => {
    const out = join(dir.path, "unpacked");
    await run("unzip", ["-q", join(dir.path, "bundle.zip"), "-d", out]);
    let result: { code: number; stdout: string };
    try {
      const { stdout } = await run(SYSTEM_NODE, ["verify.mjs", "--json", "--rpc", service.chain.rpcUrl, "--allow-development-chain"], {
        cwd: out,
      });
      result = { code: 0, stdout };
    } catch (error) {
      const e = error as { code: number; stdout: string };
      result = { code: e.code, stdout: e.stdout };
    }
    const report = JSON.parse(result.stdout) as Json;
    expect(report.items.map((i: Json) => [i.folder, i.file, i.problem])).to.deep.equal([
      [FOLDERS[0], `${FOLDERS[0]}/notice.filed.json`, null],
      [FOLDERS[1], `${FOLDERS[1]}/notice.decided.json`, null],
      [`${FOLDERS[1]}/takedown-snapshot-L1`, `${FOLDERS[1]}/takedown-snapshot-L1/listing-snapshot.json`, null],
      [FOLDERS[2], `${FOLDERS[2]}/takedown.preserved.json`, null],
    ]);
    expect(result.code).to.equal(0);
    expect(report.steps).to.deep.equal({
      id: "case.steps",
      label: "the case's steps",
      status: "pass",
      detail: `steps 1 to 3 of case ${caseId} are here, each naming the one before it by SHA-256 (the receipts above prove each step's time and content)`,
    });

    // A step taken out of the bundle: every other item still verifies, but the case does not.
    await run("rm", ["-r", join(out, FOLDERS[1]!)]);
    const thinned = await run(SYSTEM_NODE, ["verify.mjs", "--json", "--rpc", service.chain.rpcUrl, "--allow-development-chain"], {
      cwd: out,
    }).then(
      () => ({ code: 0, stdout: "" }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    expect(thinned.code).to.equal(1);
    const after = JSON.parse(thinned.stdout) as Json;
    expect(after.items.map((i: Json) => [i.folder, i.problem])).to.deep.equal([
      [FOLDERS[0], null],
      [FOLDERS[2], null],
    ]);
    expect(after.steps.status).to.equal("fail");
    expect(after.steps.detail).to.equal(`step 2 is not in this bundle (next is step 3, ${FOLDERS[2]}/takedown.preserved.json)`);
  });

  it("is refused to an account not party to the case, as if there were no case", async () => {
    const refused = await as(stranger).get(`/v1/notices/${caseId}/bundle`);
    expect(refused.status).to.equal(404);
    expect(((await refused.json()) as Json).code).to.equal("NOTICE_NOT_FOUND");
  });

  it("records each item it handed out in the custody log, as the downloader's access", async () => {
    const handedOut = [...index.steps.map((s: Json) => s.document.evidenceId), index.steps[1].takedownSnapshots[0].evidenceId];
    const log = (await (await admin.get("/v1/custody?limit=1000")).json()) as Json;
    const entries = log.entries.map((l: Json) => l.entry).filter((e: Json) => e.route === "/v1/notices/:id/bundle");
    expect(entries.map((e: Json) => [e.evidenceId, e.accountId, e.method, e.status])).to.have.deep.members(
      handedOut.map((id) => [id, holder.id, "GET", 200]),
    );
    expect(entries).to.have.length(4);
  });
});
