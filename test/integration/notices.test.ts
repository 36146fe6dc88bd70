/**
 * The whole life of a notice-and-takedown case on the embedded defaults (real chain, IPFS store, SQLite,
 * Chromium): filed → the listing captured and anchored → a removal with its takedown snapshot and capture
 * → a counter-notice → restoration due after ten business days (the case clock moved by the test, across a
 * restart) → restored. Every party's webhook receiver verifies each signature and hears each step; other
 * accounts see nothing; incomplete documents are refused naming what they lack.
 */
import { expect } from "chai";
import { join } from "node:path";
import { NOTICE_EVENT_TYPES } from "../../src/domain/notice.ts";
import { SNAPSHOT } from "../fixtures/listing-snapshot.ts";
import { counterNoticeOf, noticeOf, REASONS } from "../fixtures/notice-documents.ts";
import { unzip } from "../helpers/unzip.ts";
import { verifyBundle } from "../../src/use-cases/verify-bundle.ts";
import { startMarketplace, type Marketplace } from "../helpers/fixture-marketplace.ts";
import { client, startTestService, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { eventually, webhookReceiver, type Receiver } from "../helpers/webhook-receiver.ts";

type Json = Record<string, any>;
type Api = ReturnType<typeof client>;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// The case clock starts on Friday 4 December 2026, 10:00 UTC, and runs with real time plus what the test adds.
const T0 = Date.parse("2026-12-04T10:00:00.000Z");

function notice(market: Marketplace, platform: string, changes: Json = {}): Json {
  return noticeOf(platform, [{ url: `${market.origin}/item/8842`, listingId: "8842" }], changes);
}

const reasons = REASONS;

// The platform's own record of the listing at its removal.
const snapshot = (market: Marketplace) => ({ ...SNAPSHOT, url: `${market.origin}/item/8842`, capturedAt: "2026-12-04T10:00:30.000Z" });

async function json(response: Response, status: number): Promise<Json> {
  const body = (await response.json()) as Json;
  expect(response.status, JSON.stringify(body)).to.equal(status);
  return body;
}

describe("notice and takedown, end to end", function () {
  this.timeout(180_000);
  const dir = tempDir("notices-");
  const data = join(dir.path, "data");
  let market: Marketplace;
  let service: TestService;
  let offset = 0;
  const started = Date.now();
  const clock = () => new Date(T0 + (Date.now() - started) + offset);
  const receivers: Record<string, Receiver> = {};
  let env: Record<string, string>;

  before(async () => {
    market = await startMarketplace();
    for (const party of ["holder", "platform", "respondent"])
      receivers[party] = await webhookReceiver(party === "platform" ? [503, 200] : [200]);
    env = {
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
      CAPTURE_VIDEO: "false",
      CAPTURE_WACZ: "false",
      WEBHOOK_ALLOW_HOSTS: Object.values(receivers)
        .map((r) => `127.0.0.1:${r.port}`)
        .join(","),
      WEBHOOK_INTERVAL_MS: "50",
      WEBHOOK_RETRY_BASE_MS: "100",
      WEBHOOK_RETRY_MAX_MS: "400",
      CASE_TIMER_INTERVAL_MS: "100",
    };
    service = await startTestService(data, env, { clock });
  });
  after(async () => {
    await service?.stop();
    await market?.close();
    await Promise.all(Object.values(receivers).map((r) => r.close()));
    dir.remove();
  });

  const caseOf = async (api: Api, id: string) => json(await api.get(`/v1/notices/${id}`), 200);
  const waitFor = (api: Api, id: string, what: string, test: (c: Json) => boolean) =>
    eventually(
      async () => {
        const c = await caseOf(api, id);
        return test(c) ? c : undefined;
      },
      60_000,
      what,
    );

  it("runs a case from notice to restoration, every step anchored and announced to every party", async () => {
    const admin = client(service.url);
    const account = async (body: Json) => json(await admin.postJson("/v1/accounts", body), 201);
    const platformAccount = await account({ name: "Marketplace Example", role: "platform", settings: { restoreAfterBusinessDays: 10 } });
    expect(platformAccount.settings).to.deep.equal({ decisionDueHours: 24, counterNoticeWindowDays: 184, restoreAfterBusinessDays: 10 });
    const holderAccount = await account({ name: "Brand Protection Ltd", role: "rights-holder" });
    const respondentAccount = await account({
      name: "Bargain Bags",
      role: "respondent",
      platformId: platformAccount.id,
      sellerIds: ["seller-77"],
    });
    const outsiderAccount = await account({ name: "Another Brand", role: "rights-holder" });
    const [holder, platform, respondent, outsider] = [holderAccount, platformAccount, respondentAccount, outsiderAccount].map((a) =>
      client(service.url, a.apiKey),
    );
    for (const [party, api] of [
      ["holder", holder],
      ["platform", platform],
      ["respondent", respondent],
    ] as const) {
      const hook = await json(await api.postJson("/v1/webhooks", { url: receivers[party]!.url, events: [...NOTICE_EVENT_TYPES] }), 201);
      receivers[party]!.secret = hook.secret;
    }

    // A notice lacking elements the law asks for is refused, naming each; nothing is filed.
    const incomplete = notice(market, platformAccount.id, {
      notifier: { name: "Brand Protection Ltd", signature: "/Jane Roe/" },
      statements: { goodFaith: false, accuracy: true, authorised: true },
    });
    const refused = await json(await holder.postJson("/v1/notices", incomplete), 422);
    expect(refused.code).to.equal("NOTICE_INCOMPLETE");
    expect(refused.missing).to.deep.equal([
      { element: "notifier.email", requiredBy: ["DSA art. 16(2)(c)", "DMCA §512(c)(3)(A)(iv)"] },
      { element: "statements.goodFaith", requiredBy: ["DMCA §512(c)(3)(A)(v)"] },
    ]);
    expect(await json(await holder.get("/v1/notices"), 200)).to.deep.equal({ notices: [], next: null });
    // Only a rights-holder files notices.
    expect((await json(await platform.postJson("/v1/notices", notice(market, platformAccount.id)), 403)).code).to.equal("FORBIDDEN");

    // Filed: the notice is a step of its own, and the listing is captured as reported.
    const filed = await json(await holder.postJson("/v1/notices", notice(market, platformAccount.id)), 201);
    const id = filed.id as string;
    expect(filed.status).to.equal("filed");
    expect(Date.parse(filed.decisionDueAt) - Date.parse(filed.filedAt)).to.equal(24 * HOUR);
    expect(filed.steps.map((s: Json) => [s.seq, s.type, s.actor])).to.deep.equal([[1, "notice.filed", holderAccount.id]]);
    expect(filed.captures.map((c: Json) => [c.listingId, c.purpose, c.url])).to.deep.equal([
      ["8842", "reported", `${market.origin}/item/8842`],
    ]);
    expect(filed.deadlines).to.deep.equal([{ kind: "decision-due", at: filed.decisionDueAt }]);

    // A second notice, that no one will decide on.
    const ignored = await json(await holder.postJson("/v1/notices", notice(market, platformAccount.id, { capture: false })), 201);

    // Only its parties see the case: the respondent is not one until the platform names its seller.
    expect((await json(await outsider.get(`/v1/notices/${id}`), 404)).code).to.equal("NOTICE_NOT_FOUND");
    expect((await json(await respondent.get(`/v1/notices/${id}`), 404)).code).to.equal("NOTICE_NOT_FOUND");
    expect((await json(await outsider.get("/v1/notices"), 200)).notices).to.deep.equal([]);
    expect((await json(await platform.get("/v1/notices"), 200)).notices.map((n: Json) => n.id)).to.deep.equal([ignored.id, id]);

    const reported = await waitFor(
      holder,
      id,
      "the reported capture anchored",
      (c) => c.captures[0].status === "anchored" && c.steps[0].anchor.status === "anchored",
    );
    const filedStep = await json(await platform.get(reported.steps[0].links.record), 200);
    expect([filedStep.kind, filedStep.mediaType, filedStep.role]).to.deep.equal(["case-event", "application/json", "step"]);
    const receipt = await json(await platform.get(reported.steps[0].links.receipt), 200);
    expect(receipt.metadata.id).to.equal(reported.steps[0].evidenceId);
    expect(receipt.metadata.sha256).to.equal(filedStep.sha256);

    // The decision: the rights-holder may not take it; a removal needs its takedown snapshot.
    const decision = { listings: [{ listingId: "8842", action: "remove", sellerId: "seller-77" }], statementOfReasons: reasons };
    expect((await json(await holder.postJson(`/v1/notices/${id}/decisions`, decision), 403)).code).to.equal("FORBIDDEN");
    const noSnapshot = await json(await platform.postJson(`/v1/notices/${id}/decisions`, decision), 422);
    expect(noSnapshot.missing).to.deep.equal([
      {
        element: "takedownSnapshots[8842]",
        requiredBy: ["this service: a listing is removed or restricted only with its takedown snapshot anchored"],
      },
    ]);
    const decided = await json(
      await platform.postJson(`/v1/notices/${id}/decisions`, {
        ...decision,
        takedownSnapshots: [{ listingId: "8842", snapshot: snapshot(market) }],
      }),
      201,
    );
    expect([decided.seq, decided.type]).to.deep.equal([2, "notice.decided"]);
    expect((await json(await platform.postJson(`/v1/notices/${id}/decisions`, decision), 409)).code).to.equal("NOTICE_STATE_CONFLICT");

    // The removal is confirmed once the takedown capture has ended; the respondent is now a party.
    const confirmed = await waitFor(respondent, id, "takedown confirmed", (c) =>
      c.steps.some((s: Json) => s.type === "takedown.preserved"),
    );
    const takedown = confirmed.captures.find((c: Json) => c.purpose === "takedown");
    expect(confirmed.steps[2].data.captures).to.deep.equal([
      { listingId: "8842", captureId: takedown.captureId, status: "captured", manifestId: takedown.manifestId },
    ]);
    expect(confirmed.takedownSnapshots.map((s: Json) => [s.listingId, s.step])).to.deep.equal([["8842", 2]]);
    expect(confirmed.status).to.equal("decided");
    expect(confirmed.listings).to.deep.equal([
      { url: `${market.origin}/item/8842`, listingId: "8842", sellerId: "seller-77", action: "remove" },
    ]);

    // A day and an hour later the undecided notice is overdue, flagged and announced.
    offset += 25 * HOUR;
    const overdue = await waitFor(platform, ignored.id, "the overdue flag", (c) => c.overdue);
    expect(overdue.overdueAt).to.equal(ignored.decisionDueAt);
    expect(overdue.steps.map((s: Json) => [s.type, s.actor])).to.deep.equal([
      ["notice.filed", holderAccount.id],
      ["notice.overdue", null],
    ]);
    expect((await json(await platform.get("/v1/notices?overdue=true"), 200)).notices.map((n: Json) => n.id)).to.deep.equal([ignored.id]);

    // The counter-notice (on Saturday 5 December): restoration falls due ten business days later, Friday 18 December.
    const counter = {
      listings: ["8842"],
      statement: "The bags were bought from the owner's authorised distributor; invoices attached to our reply.",
      underPenaltyOfPerjury: true,
      respondent: { name: "Bargain Bags", address: "1 Market Street, Springfield", email: "bags@seller.example", phone: "+1 555 0100" },
      consentToJurisdiction: true,
      acceptsServiceOfProcess: true,
      signature: "/John Doe/",
    };
    const { phone: _phone, ...noPhone } = counter.respondent;
    const incompleteCounter = await json(
      await respondent.postJson(`/v1/notices/${id}/counter-notices`, { ...counter, respondent: noPhone }),
      422,
    );
    expect(incompleteCounter.missing).to.deep.equal([{ element: "respondent.phone", requiredBy: ["DMCA §512(g)(3)(D)"] }]);
    const countered = await json(await respondent.postJson(`/v1/notices/${id}/counter-notices`, counter), 201);
    expect(new Date(countered.at).getUTCDay()).to.equal(6);
    expect(countered.data.restorationDueAt).to.equal(new Date(Date.parse(countered.at) + 13 * DAY).toISOString());

    // Restarted, the service keeps the deadline: 13 days on, it falls due and is announced.
    await service.stop();
    offset += 13 * DAY;
    service = await startTestService(data, env, { clock });
    const [holderAgain, platformAgain] = [holderAccount, platformAccount].map((a) => client(service.url, a.apiKey));
    const due = await waitFor(holderAgain!, id, "restoration due", (c) => c.status === "restoration-due");
    expect(due.steps.map((s: Json) => s.type)).to.deep.equal([
      "notice.filed",
      "notice.decided",
      "takedown.preserved",
      "counter-notice.filed",
      "notice.restoration-due",
    ]);

    const final = await json(
      await platformAgain!.postJson(`/v1/notices/${id}/final-decisions`, {
        outcome: "restore",
        statementOfReasons: { ...reasons, facts: "No action was filed within ten business days of the counter-notice." },
      }),
      201,
    );
    expect(final.type).to.equal("notice.final-decision");
    const closed = await waitFor(holderAgain!, id, "every step anchored", (c) =>
      c.steps.every((s: Json) => s.anchor.status === "anchored"),
    );
    expect(closed.status).to.equal("restored");
    expect(closed.listings[0].restored).to.equal(true);
    expect(closed.deadlines).to.deep.equal([]);

    // Each party heard each step it was party to, signed; the platform's receiver failed once and was retried.
    const heard = async (party: string, count: number) => {
      const receiver = receivers[party]!;
      const messages = await eventually(
        () => {
          const ok = receiver.received.filter((m) => m.answered === 200 && m.body.data.notice === id);
          return ok.length >= count ? ok : undefined;
        },
        20_000,
        `${party}'s deliveries`,
      );
      expect(messages.every((m) => m.verified === true)).to.equal(true);
      return [...new Set(messages.map((m) => `${m.body.data.seq} ${m.body.type}`))].sort();
    };
    const all = [
      "1 notice.filed",
      "2 notice.decided",
      "3 takedown.preserved",
      "4 counter-notice.filed",
      "5 notice.restoration-due",
      "6 notice.final-decision",
    ];
    expect(await heard("holder", 6)).to.deep.equal(all);
    expect(await heard("platform", 6)).to.deep.equal(all);
    expect(await heard("respondent", 5)).to.deep.equal(all.slice(1));
    expect(receivers.platform!.received.some((m) => m.answered === 503)).to.equal(true);
  });
  it("takes counter-notices and final decisions per listing: one seller's counter-notice restores only its own listings", async () => {
    const admin = client(service.url);
    const account = async (body: Json) => json(await admin.postJson("/v1/accounts", body), 201);
    const platformAccount = await account({ name: "Marketplace Two", role: "platform" });
    const holderAccount = await account({ name: "Brand Two", role: "rights-holder" });
    const seller = (id: string) => account({ name: `Seller ${id}`, role: "respondent", platformId: platformAccount.id, sellerIds: [id] });
    const [one, two, named] = await Promise.all([seller("s-1"), seller("s-2"), seller("s-9")]);
    const [holder, platform, respondentOne, respondentTwo, respondentNamed] = [holderAccount, platformAccount, one, two, named].map((a) =>
      client(service.url, a.apiKey),
    );
    const listing = (id: string) => ({ url: `${market.origin}/item/${id}`, listingId: id });
    // The notifier names seller s-9 for L1: a claim, which makes no one a party.
    const filed = await json(
      await holder.postJson(
        "/v1/notices",
        notice(market, platformAccount.id, { listings: [{ ...listing("L1"), sellerId: "s-9" }, listing("L2")], capture: false }),
      ),
      201,
    );
    const id = filed.id as string;
    expect((await json(await respondentNamed.get(`/v1/notices/${id}`), 404)).code).to.equal("NOTICE_NOT_FOUND");
    const snap = (listingId: string) => ({
      listingId,
      snapshot: { ...snapshot(market), listingId, url: `${market.origin}/item/${listingId}` },
    });
    await json(
      await platform.postJson(`/v1/notices/${id}/decisions`, {
        listings: [
          { listingId: "L1", action: "remove", sellerId: "s-1" },
          { listingId: "L2", action: "restrict", sellerId: "s-2" },
        ],
        statementOfReasons: reasons,
        takedownSnapshots: [snap("L1"), snap("L2")],
        capture: false,
      }),
      201,
    );
    expect((await json(await respondentNamed.get(`/v1/notices/${id}`), 404)).code).to.equal("NOTICE_NOT_FOUND");
    // Without captures asked, the takedown evidence is preserved at once: the snapshots.
    const preserved = await waitFor(platform, id, "takedown preserved", (c) => c.steps.some((s: Json) => s.type === "takedown.preserved"));
    expect(preserved.steps.at(-1).data.captures).to.deep.equal([]);
    const counter = (listings: string[]) => counterNoticeOf(listings);
    // Each seller counters its own listing only; the second counter-notice is not shut out by the first.
    expect((await json(await respondentOne.postJson(`/v1/notices/${id}/counter-notices`, counter(["L2"])), 422)).code).to.equal(
      "NOTICE_REFERENCE_UNKNOWN",
    );
    await json(await respondentOne.postJson(`/v1/notices/${id}/counter-notices`, counter(["L1"])), 201);
    await json(await respondentTwo.postJson(`/v1/notices/${id}/counter-notices`, counter(["L2"])), 201);
    expect((await json(await respondentOne.postJson(`/v1/notices/${id}/counter-notices`, counter(["L1"])), 422)).code).to.equal(
      "NOTICE_REFERENCE_UNKNOWN",
    );

    // Each respondent reads the other's counter-notice as withheld: its number, evidence id and SHA-256 only.
    const seenByTwo = await caseOf(respondentTwo, id);
    const ofOne = seenByTwo.steps.find((s: Json) => s.type === "counter-notice.filed" && s.actor === one.id);
    expect(ofOne.data).to.deep.equal({
      listings: ["L1"],
      restorationDueAt: ofOne.data.restorationDueAt,
      withheld: "another respondent's counter-notice: its personal data is not shown to other respondents",
    });
    expect(ofOne.links).to.equal(undefined);
    const record = await json(await holder.get(`/v1/notices/${id}/evidence/${ofOne.evidenceId}`), 200);
    expect(ofOne.withheld).to.deep.equal({ evidenceId: record.id, sha256: record.sha256, reason: ofOne.data.withheld });
    expect((await json(await respondentTwo.get(`/v1/notices/${id}/evidence/${ofOne.evidenceId}`), 404)).code).to.equal(
      "EVIDENCE_NOT_FOUND",
    );
    const ownStep = seenByTwo.steps.find((s: Json) => s.type === "counter-notice.filed" && s.actor === two.id);
    expect(ownStep.data.counterNotice.respondent.phone).to.equal("+1 555 0101");
    const bundle = await unzip(Buffer.from(await (await respondentTwo.get(`/v1/notices/${id}/bundle`)).arrayBuffer()));
    const folder = `0${ofOne.seq}-counter-notice.filed`;
    expect([...bundle.keys()].filter((name) => name.startsWith(`${folder}/`))).to.deep.equal([`${folder}/withheld.json`]);
    expect(JSON.parse(bundle.get(`${folder}/withheld.json`)!.bytes.toString())).to.deep.equal({
      version: "case-step-withheld/v1",
      case: id,
      seq: ofOne.seq,
      type: "counter-notice.filed",
      evidenceId: record.id,
      sha256: record.sha256,
      reason: ofOne.data.withheld,
    });
    const checked = await verifyBundle({
      paths: [...bundle.keys()],
      read: async (path) => bundle.get(path)!.bytes,
      async *stream(path) {
        yield bundle.get(path)!.bytes;
      },
    });
    expect(checked.steps?.status).to.equal("warn");
    expect(checked.steps?.detail).to.match(
      new RegExp(`^steps 1 to 5 of case ${id} are in order, each naming the one before it by SHA-256; withheld`),
    );

    const final = (listings: string[], outcome: string) => ({ listings, outcome, statementOfReasons: reasons });
    await json(await platform.postJson(`/v1/notices/${id}/final-decisions`, final(["L1"], "restore")), 201);
    const half = await caseOf(holder, id);
    expect(half.status).to.equal("counter-noticed");
    expect(half.listings.map((l: Json) => [l.listingId, l.action, l.outcome ?? null, l.restored ?? false])).to.deep.equal([
      ["L1", "remove", "restored", true],
      ["L2", "restrict", null, false],
    ]);
    expect(half.deadlines.map((d: Json) => d.kind)).to.deep.equal(["restoration-due"]);
    const upheld = await json(await platform.postJson(`/v1/notices/${id}/final-decisions`, final(["L2"], "uphold")), 201);
    const closed = await caseOf(holder, id);
    expect(closed.status).to.equal("restored");
    expect(closed.listings.map((l: Json) => [l.listingId, l.outcome, l.restored ?? false])).to.deep.equal([
      ["L1", "restored", true],
      ["L2", "upheld", false],
    ]);
    expect(closed.deadlines).to.deep.equal([]);
    expect(closed.closedAt).to.equal(upheld.at);
  });
});
