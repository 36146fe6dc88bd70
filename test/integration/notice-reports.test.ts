/**
 * Notice reports on a real service (embedded chain, Helia, SQLite), its case clock moved by the test: a
 * rights-holder files notices (no captures), the platform decides them at known times, one is withdrawn,
 * two pass their 24-hour deadline and are flagged by the timer worker, one is countered and restored.
 * The report's numbers are checked against those worked out by hand, as JSON and as CSV; then it is
 * anchored, and its receipt served.
 */
import { expect } from "chai";
import { parse as parseCsv } from "csv-parse/sync";
import { canonicalJson, canonicalJsonSha256 } from "../../src/domain/canonical-json.ts";
import { PACKAGE } from "../../src/package-info.ts";
import { SNAPSHOT } from "../fixtures/listing-snapshot.ts";
import { client, startTestService, type TestService, waitForAnchored } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { eventually } from "../helpers/webhook-receiver.ts";

type Json = Record<string, any>;
type Api = ReturnType<typeof client>;

const HOUR = 3_600_000;
const T0 = Date.parse("2026-11-02T08:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

const reasons = {
  facts: "The listing offers counterfeit goods bearing the mark.",
  ground: "illegal-content",
  legalGround: "Trade mark infringement (EUTMR art. 9)",
  automatedDetection: false,
  automatedDecision: false,
  redress: "Internal complaint within six months; out-of-court dispute settlement; courts.",
};

function noticeBody(platform: string, listingIds: string[]) {
  return {
    platform,
    listings: listingIds.map((id) => ({ url: `https://marketplace.example/item/${id}`, listingId: id, sellerId: "seller-77" })),
    right: { type: "trademark", owner: "Brand SA", jurisdiction: "EU", registrationNumber: "EUTM 000123456" },
    explanation: "Counterfeit handbags bearing the registered mark.",
    notifier: { name: "Brand Protection Ltd", email: "legal@brand.example", signature: "/Jane Roe/" },
    statements: { goodFaith: true, accuracy: true, authorised: true },
    capture: false,
  };
}

function decision(actions: Record<string, "remove" | "restrict" | "reject">) {
  const listings = Object.entries(actions).map(([listingId, action]) => ({ listingId, action, sellerId: "seller-77" }));
  return {
    listings,
    statementOfReasons: reasons,
    takedownSnapshots: listings
      .filter((l) => l.action !== "reject")
      .map((l) => ({
        listingId: l.listingId,
        snapshot: { ...SNAPSHOT, listingId: l.listingId, url: `https://marketplace.example/item/${l.listingId}` },
      })),
    capture: false,
  };
}

async function created(response: Response): Promise<Json> {
  const body = (await response.json()) as Json;
  expect(response.status, JSON.stringify(body)).to.equal(201);
  return body;
}

describe("notice reports", function () {
  this.timeout(60_000);
  const dir = tempDir("notice-reports-");
  let service: TestService;
  let now = T0;
  let admin: Api;
  let platform: Api;
  let rightsHolder: Api;
  let respondent: Api;
  let platformId: string;
  let otherPlatformId: string;
  let rightsHolderId: string;
  /** Notices filed at T0 on the platform: the report's period is [T0, T0 + 1 h). */
  const period = { from: iso(T0), to: iso(T0 + HOUR) };
  const query = `from=${encodeURIComponent(period.from)}&to=${encodeURIComponent(period.to)}`;

  const account = async (body: Json) => {
    const made = await created(await admin.postJson("/v1/accounts", body));
    return { id: made.id as string, api: client(service.url, made.apiKey) };
  };
  const step = async (api: Api, id: string, path: string, body: Json) => created(await api.postJson(`/v1/notices/${id}/${path}`, body));

  before(async () => {
    service = await startTestService(dir.path, { CASE_TIMER_INTERVAL_MS: "100" }, { clock: () => new Date(now) });
    admin = client(service.url);
    const p = await account({ name: "Marketplace", role: "platform" });
    const other = await account({ name: "Other marketplace", role: "platform" });
    const r = await account({ name: "Brand Protection Ltd", role: "rights-holder" });
    const s = await account({ name: "Bargain Bags", role: "respondent", platformId: p.id, sellerIds: ["seller-77"] });
    [platform, platformId, otherPlatformId, rightsHolder, rightsHolderId, respondent] = [p.api, p.id, other.id, r.api, r.id, s.api];
    const file = async (on: string, listingIds: string[]) =>
      (await created(await rightsHolder.postJson("/v1/notices", noticeBody(on, listingIds)))).id as string;

    // T0: five notices to the platform, one to another platform.
    const [n1, n2, n3, n4, n6] = [
      await file(platformId, ["a1", "a2"]),
      await file(platformId, ["b1"]),
      await file(platformId, ["c1"]),
      await file(platformId, ["d1"]),
      await file(platformId, ["f1"]),
    ];
    const n5 = await file(otherPlatformId, ["e1"]);
    // T0 + 1 h: n1 decided (one listing removed, one rejected); n7 filed, at the period's (exclusive) end.
    now = T0 + HOUR;
    await step(platform, n1!, "decisions", decision({ a1: "remove", a2: "reject" }));
    await file(platformId, ["g1"]);
    // T0 + 2 h: n2 rejected. T0 + 10 h: n3 withdrawn by its notifier.
    now = T0 + 2 * HOUR;
    await step(platform, n2!, "decisions", decision({ b1: "reject" }));
    now = T0 + 10 * HOUR;
    await step(rightsHolder, n3!, "responses", { type: "withdraw" });
    // T0 + 25 h: n4, n5 and n6 (and n7) passed their 24-hour deadline; the timer worker flags them.
    now = T0 + 25 * HOUR;
    for (const [api, id] of [
      [platform, n4],
      [admin, n5],
      [platform, n6],
    ] as const) {
      await eventually(
        async () => ((await (await api.get(`/v1/notices/${id}`)).json()) as Json).overdue || undefined,
        10_000,
        `${id} overdue`,
      );
    }
    // T0 + 30 h: n4 decided late (restricted). T0 + 31 h: n1 countered; T0 + 32 h: restored.
    now = T0 + 30 * HOUR;
    await step(platform, n4!, "decisions", decision({ d1: "restrict" }));
    now = T0 + 31 * HOUR;
    await step(respondent, n1!, "counter-notices", {
      listings: ["a1"],
      statement: "The handbag is genuine: bought from the brand's distributor.",
      underPenaltyOfPerjury: true,
      respondent: { name: "Bargain Bags", address: "1 Market St, Springfield", email: "shop@bags.example", phone: "+1 555 0100" },
      consentToJurisdiction: true,
      acceptsServiceOfProcess: true,
      signature: "/John Doe/",
    });
    now = T0 + 32 * HOUR;
    await step(platform, n1!, "final-decisions", { outcome: "restore", statementOfReasons: reasons });
  });

  after(async () => {
    await service?.stop();
    dir.remove();
  });

  /**
   * By hand, for [T0, T0 + 1 h) on the platform: n1..n4 and n6 filed (n7 at T0 + 1 h is outside; n5 is
   * another platform's). First decisions after 3600 s (n1), 7200 s (n2), 108000 s (n4): sorted, the median
   * is rank ceil(0.5 × 3) = 2 → 7200, the 90th percentile rank ceil(0.9 × 3) = 3 → 108000. Within 24 h:
   * n1 and n2, of the 5 filed → 0.4.
   */
  const expected = {
    notices: {
      filed: 5,
      byStatus: {
        filed: 1,
        decided: 1,
        rejected: 1,
        "counter-noticed": 0,
        "action-filed": 0,
        "restoration-due": 0,
        restored: 1,
        upheld: 0,
        withdrawn: 1,
      },
      decided: 3,
      overdue: 2,
      counterNotices: 1,
      restored: 1,
      upheld: 0,
      withdrawn: 1,
    },
    listings: { removed: 1, restricted: 1, rejected: 2 },
    decisionTimeSeconds: { median: 7200, p90: 108_000 },
    decidedWithin24Hours: { count: 2, of: 5, share: 0.4 },
  };

  it("gives the platform its own numbers, worked out by hand, with the period, date, service and definitions", async () => {
    const response = await platform.get(`/v1/reports/notices?${query}`);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.match(/^application\/json/);
    const report = (await response.json()) as Json;
    expect(report).to.deep.include({
      ...expected,
      version: "notice-report/v1",
      period,
      platform: platformId,
      notifier: null,
      generatedAt: iso(T0 + 32 * HOUR),
      service: { name: PACKAGE.name, version: PACKAGE.version },
    });
    expect(report.definitions["decisionTimeSeconds.p90"]).to.match(/^over the decided notices, the 90th percentile .* nearest-rank/);
  });

  it("serves the same numbers as CSV, one row per number with its definition", async () => {
    for (const [path, headers] of [
      [`/v1/reports/notices?${query}`, { accept: "text/csv" }],
      [`/v1/reports/notices?${query}&format=csv`, {}],
    ] as const) {
      const response = await platform.get(path, headers);
      expect(response.status).to.equal(200);
      expect(response.headers.get("content-type")).to.equal("text/csv; charset=utf-8; header=present");
      const rows = parseCsv(await response.text(), { columns: true }) as { metric: string; value: string; definition: string }[];
      const values = Object.fromEntries(rows.map((r) => [r.metric, r.value]));
      expect(values).to.deep.include({
        "period.from": period.from,
        "period.to": period.to,
        platform: platformId,
        notifier: "",
        "notices.filed": "5",
        "notices.byStatus.restored": "1",
        "notices.byStatus.upheld": "0",
        "notices.decided": "3",
        "notices.overdue": "2",
        "notices.counterNotices": "1",
        "notices.withdrawn": "1",
        "listings.removed": "1",
        "listings.restricted": "1",
        "listings.rejected": "2",
        "decisionTimeSeconds.median": "7200",
        "decisionTimeSeconds.p90": "108000",
        "decidedWithin24Hours.count": "2",
        "decidedWithin24Hours.of": "5",
        "decidedWithin24Hours.share": "0.4",
      });
      expect(rows).to.have.length(6 + 24);
      expect(rows.find((r) => r.metric === "decidedWithin24Hours.of")!.definition).to.equal(
        "the denominator of the share: every notice filed in the period, decided or not",
      );
    }
  });

  it("gives a rights-holder the notices it filed, on every platform; an admin any platform's", async () => {
    const mine = (await (await rightsHolder.get(`/v1/reports/notices?${query}`)).json()) as Json;
    expect(mine).to.deep.include({ platform: null, notifier: rightsHolderId });
    expect(mine.notices).to.deep.include({ filed: 6, overdue: 3, decided: 3 });
    expect(mine.notices.byStatus.filed).to.equal(2);
    const other = (await (await admin.get(`/v1/reports/notices?${query}&platform=${otherPlatformId}`)).json()) as Json;
    expect(other).to.deep.include({ platform: otherPlatformId, notifier: null });
    expect(other.notices).to.deep.include({ filed: 1, overdue: 1, decided: 0 });
    expect(other.decisionTimeSeconds).to.deep.equal({ median: null, p90: null });
    expect(other.decidedWithin24Hours).to.deep.equal({ count: 0, of: 1, share: 0 });
  });

  it("covers the 30 days before now by default", async () => {
    const report = (await (await platform.get("/v1/reports/notices")).json()) as Json;
    expect(report.period).to.deep.equal({ from: iso(T0 + 32 * HOUR - 30 * 24 * HOUR), to: iso(T0 + 32 * HOUR) });
    expect(report.notices.filed).to.equal(6); // n7 too
  });

  it("refuses a platform another platform's report (403), a respondent any (403), and a period that ends before it starts (400)", async () => {
    const theirs = await platform.get(`/v1/reports/notices?${query}&platform=${otherPlatformId}`);
    expect(theirs.status).to.equal(403);
    expect(((await theirs.json()) as Json).error.code).to.equal("FORBIDDEN");
    const respondents = await respondent.get(`/v1/reports/notices?${query}`);
    expect(respondents.status).to.equal(403);
    const backwards = await platform.get(`/v1/reports/notices?from=${encodeURIComponent(period.to)}&to=${encodeURIComponent(period.from)}`);
    expect(backwards.status).to.equal(400);
    expect(((await backwards.json()) as Json).error.code).to.equal("INVALID_REQUEST");
  });

  it("anchors a report on request: stored as the caller's evidence (its RFC 8785 JSON), with a receipt once anchored", async () => {
    const response = await platform.postJson("/v1/reports/notices", period);
    const body = await created(response);
    expect(body.report).to.deep.include({ ...expected, period, platform: platformId });
    const id = body.evidence.id as string;
    expect(response.headers.get("location")).to.equal(`/v1/evidence/${id}`);
    expect(body.evidence).to.deep.include({ kind: "report", status: "pending", mediaType: "application/json" });
    expect(body.evidence.sha256).to.equal(canonicalJsonSha256(body.report));
    expect(body.evidence.links.receipt).to.equal(`/v1/evidence/${id}/receipt`);

    const anchored = await waitForAnchored(platform, id, 15_000);
    expect(anchored.status).to.equal("anchored");
    const receipt = await platform.get(body.evidence.links.receipt);
    expect(receipt.status).to.equal(200);
    expect(((await receipt.json()) as Json).evidence).to.deep.include({ id, kind: "report", sha256: body.evidence.sha256 });
    const content = await platform.get(`/v1/evidence/${id}/content`);
    expect(await content.text()).to.equal(canonicalJson(body.report));
  });
});
