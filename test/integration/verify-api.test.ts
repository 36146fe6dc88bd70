/** POST /v1/verify: the CLI's checks, over HTTP, with no API key, storing nothing. */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { RunningService } from "../../src/main.ts";
import { PNG } from "../fixtures/listing-snapshot.ts";
import { client, fileForm, startTestService, waitForAnchored } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;

describe("POST /v1/verify", function () {
  this.timeout(60_000);
  const dir = tempDir("verify-api-");
  let service: RunningService;
  let receipt: Json;
  const anonymous = () => client(service.url, null);

  before(async () => {
    service = await startTestService(join(dir.path, "data"), { VERIFY_RATE_LIMIT: "1000" });
    const api = client(service.url);
    const up = (await (
      await api.postForm("/v1/evidence", fileForm({ kind: "screenshot" }, { file: { bytes: PNG, name: "s.png" } }))
    ).json()) as Json;
    await waitForAnchored(api, up.id);
    receipt = (await (await api.get(`/v1/evidence/${up.id}/receipt`)).json()) as Json;
  });
  after(async () => {
    await service.stop();
    dir.remove();
  });

  const receiptPart = (value: unknown) => ({ bytes: Buffer.from(JSON.stringify(value)), name: "receipt.json", type: "application/json" });

  it("verifies a receipt and its file without an API key, and stores nothing it was given", async () => {
    const countBlocks = () => readdirSync(join(dir.path, "data", "ipfs"), { recursive: true }).length;
    const before = countBlocks();
    const file = Buffer.concat([PNG, randomBytes(1)]).subarray(0, PNG.length); // the same bytes, a new buffer
    const response = await anonymous().postForm(
      "/v1/verify",
      fileForm({}, { receipt: receiptPart(receipt), file: { bytes: file, name: "s.png" } }),
    );
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).to.equal(200);
    expect(body.verified).to.equal(true);
    expect(body.chainReachable).to.equal(true);
    expect(body.evidenceId).to.equal(receipt.evidence.id);
    expect(body.checks.map((c: Json) => [c.id, c.status])).to.deep.include.members([
      ["file.sha256", "pass"],
      ["file.cid", "pass"],
      ["merkle.proof", "pass"],
      ["chain.anchor", "pass"],
      ["chain.verify", "pass"],
    ]);
    expect(body.anchoredAt.timestamp).to.equal(receipt.anchor.timestamp);
    // The embedded chain is a development chain: the verdict says so.
    expect(body.trust).to.equal("development");
    expect(body.checks.find((c: Json) => c.id === "chain.identity")).to.deep.equal({
      id: "chain.identity",
      label: "chain identity",
      status: "warn",
      detail: "local development chain (anvil): development chain — proves nothing to a third party",
    });
    expect(body.summary).to.equal(
      `VERIFIED ON A DEVELOPMENT CHAIN ONLY — development chain — proves nothing to a third party: anyone can run chain 31337 with any history and any clock. The anchor says this file existed no later than ${new Date(receipt.anchor.timestamp * 1000 + 1999).toISOString()} (block ${receipt.anchor.blockNumber} of local development chain (anvil) (chain id 31337), block time ${new Date(receipt.anchor.timestamp * 1000).toISOString().replace(".000Z", "Z")}; block times are whole seconds, and on local development chain (anvil) a block's time may precede its transactions by less than 2 s; its clock is its operator's: anvil's runs up to a second behind the machine it runs on).`,
    );
    expect(response.headers.get("cache-control")).to.equal("no-store");
    expect(countBlocks()).to.equal(before);
    const list = (await (await client(service.url).get("/v1/evidence")).json()) as Json;
    expect(list.items).to.have.length(1);
  });

  it("takes a receipt alone as JSON (what the page sends), and as a multipart text field", async () => {
    const json = (await (await anonymous().postJson("/v1/verify", { receipt })).json()) as Json;
    expect(json.verified).to.equal(true);
    expect(json.checks.find((c: Json) => c.id === "file.sha256").status).to.equal("skip");
    const field = (await (await anonymous().postForm("/v1/verify", fileForm({ receipt: JSON.stringify(receipt) }, {}))).json()) as Json;
    expect(field.verified).to.equal(true);
  });

  it("answers a tampered file with verified false and the failing checks", async () => {
    const altered = Buffer.from(PNG);
    altered[20]! ^= 0xff;
    const body = (await (
      await anonymous().postForm("/v1/verify", fileForm({}, { receipt: receiptPart(receipt), file: { bytes: altered, name: "s.png" } }))
    ).json()) as Json;
    expect(body.verified).to.equal(false);
    expect(body.checks.filter((c: Json) => c.status === "fail").map((c: Json) => c.id)).to.deep.equal(["file.sha256", "file.cid"]);
    expect(body.checks.some((c: Json) => "unreachable" in c)).to.equal(false);
    expect(body.chainReachable).to.equal(true);
    expect(body.summary).to.match(/^NOT VERIFIED/);
  });

  it("refuses what is not a receipt with 400 RECEIPT_INVALID, naming the problem", async () => {
    const cases: [Promise<Response>, RegExp][] = [
      [anonymous().postJson("/v1/verify", {}), /no receipt was sent/],
      [
        anonymous().postJson("/v1/verify", { receipt: { version: "evidence-receipt/v3" } }),
        /version: must be "evidence-receipt\/v1" or "evidence-receipt\/v2"/,
      ],
      [anonymous().postJson("/v1/verify", { receipt: { version: "evidence-receipt/v2" } }), /evidence/],
      [anonymous().postJson("/v1/verify", { receipt: { ...receipt, merkle: { ...receipt.merkle, root: "0x12" } } }), /merkle\.root/],
      [anonymous().postForm("/v1/verify", fileForm({}, { receipt: { bytes: Buffer.from("{nope"), name: "r.json" } })), /not JSON/],
    ];
    for (const [pending, message] of cases) {
      const response = await pending;
      const body = (await response.json()) as Json;
      expect(response.status).to.equal(400);
      expect(body.error.code).to.equal("RECEIPT_INVALID");
      expect(body.error.message).to.match(message);
    }
    const wrongType = await anonymous().postRaw("/v1/verify", "x", "text/plain");
    expect(wrongType.status).to.equal(415);
  });

  it("is rate-limited per client: 429 RATE_LIMITED past the limit", async () => {
    const limited = await startTestService(join(dir.path, "limited"), { VERIFY_RATE_LIMIT: "3" });
    try {
      const api = client(limited.url, null);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await api.postJson("/v1/verify", { receipt })).status);
      expect(statuses.slice(0, 3).every((s) => s !== 429)).to.equal(true);
      const last = await api.postJson("/v1/verify", { receipt });
      expect(last.status).to.equal(429);
      expect(((await last.json()) as Json).error.code).to.equal("RATE_LIMITED");
      expect(last.headers.get("ratelimit-policy")).to.match(/3/);
    } finally {
      await limited.stop();
    }
  });
});
