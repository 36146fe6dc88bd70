/**
 * The OpenAPI description is true of the running service: every documented operation is called here,
 * and each answer's status is documented and its JSON body valid against the documented schema.
 */
import { expect } from "chai";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser } from "../helpers/browser.ts";
import { ADMIN_KEY, client, fileForm, startTestService, waitForAnchored, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { eventually } from "../helpers/webhook-receiver.ts";
import { PNG, SNAPSHOT } from "../fixtures/listing-snapshot.ts";

type Json = Record<string, any>;
const ARTIFACTS = new URL("../../test-results/", import.meta.url).pathname;

describe("the OpenAPI description, against the running service", function () {
  this.timeout(60_000);
  const dir = tempDir("openapi-");
  let service: TestService;
  let document: Json;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const called = new Set<string>();

  before(async () => {
    service = await startTestService(dir.path, { CAPTURE_ALLOW_HOSTS: "127.0.0.1:1", WEBHOOK_ALLOW_HOSTS: "127.0.0.1:1" });
    document = (await (await fetch(`${service.url}/openapi.json`)).json()) as Json;
    ajv.addSchema({ ...document, $id: "openapi.json" });
  });
  after(async () => {
    await service?.stop();
    dir.remove();
  });

  /** Calls an operation as documented (`template` is the documented path) and checks the answer against it. */
  async function call(
    method: string,
    template: string,
    path: string,
    init: RequestInit & { auth?: boolean; key?: string } = {},
  ): Promise<{ status: number; body: any }> {
    const headers = new Headers(init.headers);
    if (init.auth !== false) headers.set("authorization", `Bearer ${init.key ?? ADMIN_KEY}`);
    const response = await fetch(service.url + path, { ...init, method: method.toUpperCase(), headers });
    const operation = document.paths[template]?.[method];
    expect(operation, `${method} ${template} is documented`).to.exist;
    called.add(`${method} ${template}`);
    const documented = operation.responses[String(response.status)];
    expect(documented, `${method} ${path} answered ${response.status}, which is not documented`).to.exist;
    const type = (response.headers.get("content-type") ?? "").split(";")[0]!;
    const bytes = Buffer.from(await response.arrayBuffer());
    if (!documented.content) return { status: response.status, body: bytes };
    // A download of stored content is documented as bytes, whatever its own type.
    const documentedType = documented.content[type] ? type : "application/octet-stream";
    expect(Object.keys(documented.content), `${method} ${template} ${response.status}: ${type}`).to.include(documentedType);
    if (!/json$/.test(type)) return { status: response.status, body: bytes };
    const body = JSON.parse(bytes.toString());
    const validate = ajv.compile({
      $ref: "openapi.json#" + pointer(["paths", template, method, "responses", String(response.status), "content", type, "schema"]),
    });
    expect(validate(body), `${method} ${path} ${response.status}: ${JSON.stringify(validate.errors)}`).to.equal(true);
    return { status: response.status, body };
  }

  it("every operation answers as documented", async () => {
    await call("get", "/healthz", "/healthz", { auth: false });
    await call("get", "/readyz", "/readyz", { auth: false });
    await call("get", "/metrics", "/metrics", { auth: false });
    await call("get", "/openapi.json", "/openapi.json", { auth: false });
    await call("get", "/docs", "/docs", { auth: false });
    await call("get", "/verify", "/verify", { auth: false });
    await call("get", "/notices", "/notices", { auth: false });
    await call("get", "/problems/{code}", "/problems/STORE_UNAVAILABLE", { auth: false });
    await call("get", "/problems/{code}", "/problems/NO_SUCH_THING", { auth: false });

    const hooks = { headers: { "content-type": "application/json" } };
    // Registered before the upload, so that its evidence.anchored makes a delivery (to a closed port).
    const webhook = await call("post", "/v1/webhooks", "/v1/webhooks", {
      ...hooks,
      body: JSON.stringify({ url: "http://127.0.0.1:1/h", events: ["*"] }),
    });
    expect(webhook.status).to.equal(201);
    await call("post", "/v1/webhooks", "/v1/webhooks", { ...hooks, body: JSON.stringify({ url: "http://127.0.0.1:2/h", events: ["*"] }) }); // 422

    const up = await call("post", "/v1/evidence", "/v1/evidence", {
      body: fileForm({ kind: "screenshot" }, { file: { bytes: PNG, name: "l.png" } }),
    });
    expect(up.status).to.equal(201);
    await call("post", "/v1/evidence", "/v1/evidence", { body: fileForm({ kind: "video" }, { file: { bytes: PNG, name: "l.png" } }) });
    await call("post", "/v1/evidence", "/v1/evidence", { auth: false, body: fileForm({}, { file: { bytes: PNG, name: "l.png" } }) });
    const id = up.body.id;
    await call("get", "/v1/evidence/{id}/receipt", `/v1/evidence/${id}/receipt`); // 409 before the anchor, or 200
    await waitForAnchored(client(service.url), id);
    const json = (body: unknown) => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await call("post", "/v1/evidence/listing-snapshots", "/v1/evidence/listing-snapshots", json(SNAPSHOT));
    const ndjson = (lines: unknown[]) => ({
      headers: { "content-type": "application/x-ndjson" },
      body: lines.map((l) => JSON.stringify(l)).join("\n"),
    });
    const batch = "/v1/evidence/listing-snapshots:batch";
    await call("post", batch, batch, ndjson([{ ...SNAPSHOT, listingId: "b-1" }, { title: "no url" }]));
    await call("post", batch, batch, { headers: { "content-type": "application/x-ndjson" }, body: "" });
    await call("get", "/v1/evidence", "/v1/evidence?limit=2");
    await call("get", "/v1/evidence/{id}", `/v1/evidence/${id}`);
    await call("get", "/v1/evidence/{id}", "/v1/evidence/ev_nope");
    const receipt = await call("get", "/v1/evidence/{id}/receipt", `/v1/evidence/${id}/receipt`);
    await call("get", "/v1/evidence/{id}/content", `/v1/evidence/${id}/content`);
    await call("get", "/v1/evidence/{id}/certificate.pdf", `/v1/evidence/${id}/certificate.pdf`);
    await call("get", "/v1/evidence/{id}/bundle", `/v1/evidence/${id}/bundle`);
    await call("get", "/v1/evidence/{id}/custody", `/v1/evidence/${id}/custody`);
    await call("get", "/v1/evidence/{id}/custody", "/v1/evidence/ev_nope/custody");
    await call("get", "/v1/custody", "/v1/custody?limit=3");
    await call("get", "/v1/custody", "/v1/custody?limit=0");

    await call("post", "/v1/verify", "/v1/verify", { ...json({ receipt: receipt.body }), auth: false });
    await call("post", "/v1/verify", "/v1/verify", { ...json({ receipt: { version: "x" } }), auth: false });

    const capture = await call("post", "/v1/captures", "/v1/captures", json({ url: "http://127.0.0.1:1/item" }));
    expect(capture.status).to.equal(202);
    await call("post", "/v1/captures", "/v1/captures", json({ url: "http://127.0.0.1:2/item" })); // 422: not allowed
    await call("get", "/v1/captures", "/v1/captures");
    await call("get", "/v1/captures/{id}", `/v1/captures/${capture.body.id}`);
    await call("get", "/v1/captures/{id}/bundle", `/v1/captures/${capture.body.id}/bundle`); // 409: no evidence yet
    await call("get", "/v1/captures/{id}/bundle", "/v1/captures/cap_nope/bundle");
    await call("get", "/v1/notices/{id}/bundle", "/v1/notices/ntc_nope/bundle"); // 404: no such case

    await call("get", "/v1/webhooks", "/v1/webhooks");
    const hookDeliveries = await eventually(async () => {
      const listed = await call("get", "/v1/webhooks/{id}/deliveries", `/v1/webhooks/${webhook.body.id}/deliveries`);
      return listed.body.items.some((d: Json) => d.attempts.length > 0) ? listed.body.items : undefined;
    });
    await call("get", "/v1/webhooks/{id}/deliveries", "/v1/webhooks/wh_nope/deliveries");
    const redeliver = `/v1/webhooks/${webhook.body.id}/deliveries/${hookDeliveries[0].id}/redeliver`;
    expect((await call("post", "/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver", redeliver)).status).to.equal(202);
    await call(
      "post",
      "/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver",
      `/v1/webhooks/${webhook.body.id}/deliveries/dlv_nope/redeliver`,
    );
    await call("delete", "/v1/webhooks/{id}", `/v1/webhooks/${webhook.body.id}`);
    await call("delete", "/v1/webhooks/{id}", `/v1/webhooks/${webhook.body.id}`); // 404

    await call("get", "/v1/account", "/v1/account");
    const account = await call("post", "/v1/accounts", "/v1/accounts", json({ name: "Brand Protection Ltd" }));
    const key = await call("post", "/v1/accounts/{id}/keys", `/v1/accounts/${account.body.id}/keys`);
    await call("get", "/v1/accounts/{id}/keys", `/v1/accounts/${account.body.id}/keys`);
    await call("get", "/v1/custody", "/v1/custody", { auth: false, headers: { authorization: `Bearer ${key.body.apiKey}` } });
    await call("delete", "/v1/accounts/{id}/keys/{keyId}", `/v1/accounts/${account.body.id}/keys/${key.body.id}`);

    // A case through each of its steps, each as the party whose step it is.
    const party = async (body: Json) => (await call("post", "/v1/accounts", "/v1/accounts", json(body))).body;
    const platform = await party({ name: "Platform", role: "platform" });
    const holder = await party({ name: "Holder", role: "rights-holder" });
    const seller = await party({ name: "Seller", role: "respondent", platformId: platform.id, sellerIds: ["s-1"] });
    const as = (party: Json, body?: unknown) => ({ ...(body === undefined ? {} : json(body)), key: party.apiKey as string });
    const filing = {
      platform: platform.id,
      listings: [{ url: "https://marketplace.example/item/1", listingId: "L1", sellerId: "s-1" }],
      right: { type: "copyright", owner: "Holder", jurisdiction: "US" },
      explanation: "A copy of our photograph.",
      notifier: { name: "Holder", email: "legal@holder.example", signature: "/H/" },
      statements: { goodFaith: true, accuracy: true, authorised: true },
      capture: false,
    };
    await call("post", "/v1/notices", "/v1/notices", as(holder, { ...filing, explanation: "" })); // 422 NOTICE_INCOMPLETE
    const filed = await call("post", "/v1/notices", "/v1/notices", as(holder, filing));
    expect(filed.status).to.equal(201);
    const notice = `/v1/notices/${filed.body.id}`;
    await call("get", "/v1/notices", "/v1/notices?status=filed", as(holder));
    await call("get", "/v1/notices/{id}", notice, as(holder));
    await call("get", "/v1/notices/{id}", "/v1/notices/ntc_nope", as(holder));
    const reasons = {
      facts: "A copy.",
      ground: "illegal-content",
      legalGround: "17 U.S.C. §106",
      automatedDetection: false,
      automatedDecision: false,
      redress: "Appeal.",
    };
    const decision = { listings: [{ listingId: "L1", action: "remove", sellerId: "s-1" }], statementOfReasons: reasons, capture: false };
    await call("post", "/v1/notices/{id}/decisions", `${notice}/decisions`, as(holder, decision)); // 403
    const snapshot = { ...SNAPSHOT, url: "https://marketplace.example/item/1", listingId: "L1" };
    const decided = { ...decision, takedownSnapshots: [{ listingId: "L1", snapshot }] };
    expect((await call("post", "/v1/notices/{id}/decisions", `${notice}/decisions`, as(platform, decided))).status).to.equal(201);
    await call("post", "/v1/notices/{id}/decisions", `${notice}/decisions`, as(platform, decided)); // 409
    const counter = {
      listings: ["L1"],
      statement: "Mistaken.",
      underPenaltyOfPerjury: true,
      respondent: { name: "Seller", address: "1 Street", email: "s@seller.example", phone: "+1 555 0100" },
      consentToJurisdiction: true,
      acceptsServiceOfProcess: true,
      signature: "/S/",
    };
    expect((await call("post", "/v1/notices/{id}/counter-notices", `${notice}/counter-notices`, as(seller, counter))).status).to.equal(201);
    const response = { type: "action-filed", court: "N.D. Cal.", caseNumber: "3:26-cv-01234" };
    expect((await call("post", "/v1/notices/{id}/responses", `${notice}/responses`, as(holder, response))).status).to.equal(201);
    const final = { outcome: "uphold", statementOfReasons: reasons };
    expect((await call("post", "/v1/notices/{id}/final-decisions", `${notice}/final-decisions`, as(platform, final))).status).to.equal(201);
    const step = `${notice}/evidence/${filed.body.steps[0].evidenceId}`;
    await call("get", "/v1/notices/{id}/evidence/{evidenceId}", step, as(seller));
    await call("get", "/v1/notices/{id}/evidence/{evidenceId}/receipt", `${step}/receipt`, as(seller)); // 409 before the anchor, or 200
    await waitForAnchored(client(service.url, holder.apiKey), filed.body.steps[0].evidenceId);
    await call("get", "/v1/notices/{id}/evidence/{evidenceId}/receipt", `${step}/receipt`, as(seller));
    await call("get", "/v1/notices/{id}/evidence/{evidenceId}", `${notice}/evidence/ev_nope`, as(seller));

    await call("get", "/v1/reports/notices", "/v1/reports/notices");
    await call("get", "/v1/reports/notices", "/v1/reports/notices?format=csv");
    await call("get", "/v1/reports/notices", "/v1/reports/notices?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z"); // 400
    expect((await call("post", "/v1/reports/notices", "/v1/reports/notices", json({}))).status).to.equal(201);

    const documented = Object.entries(document.paths as Json).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect([...called].sort()).to.deep.equal(documented.sort());
  });

  it("serves interactive documentation at /docs that renders in Chromium under its CSP, from this origin only", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const origins = new Set<string>();
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("request", (r) => origins.add(new URL(r.url()).origin));
      page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
      await page.goto(`${service.url}/docs`);
      await page.locator(".opblock-summary-path", { hasText: "/v1/evidence/{id}/receipt" }).first().waitFor({ timeout: 15_000 });
      expect(await page.locator(".opblock").count()).to.equal(Object.values(document.paths as Json).flatMap((o) => Object.keys(o)).length);
      expect(problems).to.deep.equal([]);
      expect([...origins]).to.deep.equal([service.url]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "api-docs.png"), fullPage: false });
    } finally {
      await browser.close();
    }
  });
});

function pointer(parts: string[]): string {
  return "/" + parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}
