/**
 * A platform's takedown desk sends its listing snapshots in bulk (NDJSON): each good line is stored,
 * indexed with its custody entry and anchored; each bad line is answered on its own; over the bound,
 * nothing is stored.
 */
import { expect } from "chai";
import { canonicalJson } from "../../src/domain/canonical-json.ts";
import { sha256Hex } from "../../src/domain/hashing.ts";
import { verifyIndependently } from "../helpers/independent-verifier.ts";
import { client, startTestService, waitForAnchored, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { SNAPSHOT } from "../fixtures/listing-snapshot.ts";

type Json = Record<string, any>;
const BATCH = "/v1/evidence/listing-snapshots:batch";
const ndjson = (lines: string[]) => `${lines.join("\n")}\n`;
const listing = (n: number) => ({ ...SNAPSHOT, listingId: `L-${n}`, url: `https://marketplace.example/item/L-${n}` });

describe("listing snapshots in bulk (POST /v1/evidence/listing-snapshots:batch)", function () {
  this.timeout(60_000);
  const dir = tempDir("batch-");
  let service: TestService;
  let api: ReturnType<typeof client>;

  before(async () => {
    service = await startTestService(dir.path, { SNAPSHOT_BATCH_MAX_LINES: "6", SNAPSHOT_BATCH_MAX_BYTES: "5000" });
    api = client(service.url);
  });
  after(async () => {
    await service?.stop();
    dir.remove();
  });

  const evidenceCount = async () => ((await (await api.get("/v1/evidence?limit=500")).json()) as Json).items.length as number;

  it("answers every line in order: the good ones stored and anchored, the bad ones with their error", async () => {
    const lines = [
      JSON.stringify({ ...listing(1), caseRef: "TD-1" }),
      "{not json",
      JSON.stringify({ ...listing(3), price: { amount: "3", currency: "usd" } }),
      JSON.stringify(listing(4)),
      JSON.stringify({ ...listing(5), colour: "red" }),
      "[1, 2]",
    ];
    const response = await api.postRaw(BATCH, ndjson(lines), "application/x-ndjson");
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).to.equal(200);
    expect(body.accepted).to.equal(2);
    expect(body.rejected).to.equal(4);
    const [first, , , fourth] = body.results;
    expect(body.results).to.deep.equal([
      { line: 1, id: first.id, status: "pending", sha256: sha256Hex(new TextEncoder().encode(canonicalJson(listing(1)))) },
      { line: 2, error: { code: "MALFORMED_JSON", message: "The body is not valid JSON" } },
      { line: 3, error: { code: "INVALID_REQUEST", message: "price.currency: must be an ISO 4217 code such as USD" } },
      { line: 4, id: fourth.id, status: "pending", sha256: sha256Hex(new TextEncoder().encode(canonicalJson(listing(4)))) },
      { line: 5, error: { code: "UNEXPECTED_FIELD", message: "Unexpected field 'colour'" } },
      { line: 6, error: { code: "INVALID_REQUEST", message: "each line must be a JSON object (a listing snapshot)" } },
    ]);
    expect(await evidenceCount()).to.equal(2);

    const record = (await (await api.get(`/v1/evidence/${first.id}`)).json()) as Json;
    expect(record).to.deep.include({ kind: "listing-snapshot", mediaType: "application/json" });
    expect(record.metadata).to.deep.include({ caseRef: "TD-1", sourceUrl: listing(1).url, capturedAt: listing(1).capturedAt });
    const custody = (await (await api.get(`/v1/evidence/${first.id}/custody`)).json()) as Json;
    expect(custody.entries[0].entry).to.deep.include({ method: "POST", route: BATCH, status: 201, evidenceId: first.id });

    for (const [item, snapshot] of [
      [first, listing(1)],
      [fourth, listing(4)],
    ] as const) {
      expect((await waitForAnchored(api, item.id)).status).to.equal("anchored");
      const receipt = (await (await api.get(`/v1/evidence/${item.id}/receipt`)).json()) as Json;
      const proven = await verifyIndependently(receipt, Buffer.from(canonicalJson(snapshot)), service.chain.rpcUrl);
      expect(proven.timestamp).to.equal(receipt.anchor.timestamp);
    }
  });

  it("refuses a batch over SNAPSHOT_BATCH_MAX_LINES with 413 BATCH_TOO_LARGE, storing nothing", async () => {
    const before = await evidenceCount();
    const lines = Array.from({ length: 7 }, (_, i) => JSON.stringify(listing(100 + i)));
    const response = await api.postRaw(BATCH, ndjson(lines), "application/x-ndjson");
    const body = (await response.json()) as Json;
    expect(response.status).to.equal(413);
    expect(body.code).to.equal("BATCH_TOO_LARGE");
    expect(body.detail).to.equal("The batch has more than the limit of 6 lines: nothing was stored");
    expect(await evidenceCount()).to.equal(before);
  });

  it("refuses a batch over SNAPSHOT_BATCH_MAX_BYTES with 413 BODY_TOO_LARGE, storing nothing", async () => {
    const before = await evidenceCount();
    const lines = [1, 2].map((n) => JSON.stringify({ ...listing(200 + n), title: "x".repeat(3000) }));
    const response = await api.postRaw(BATCH, ndjson(lines), "application/x-ndjson");
    expect(response.status).to.equal(413);
    expect(((await response.json()) as Json).code).to.equal("BODY_TOO_LARGE");
    expect(await evidenceCount()).to.equal(before);
  });

  it("refuses another media type with 415, and an empty batch with 400", async () => {
    const json = await api.postRaw(BATCH, JSON.stringify(listing(1)), "application/json");
    expect(json.status).to.equal(415);
    const empty = await api.postRaw(BATCH, "", "application/x-ndjson");
    expect(empty.status).to.equal(400);
    expect(((await empty.json()) as Json).detail).to.equal("the batch has no lines");
  });
});
