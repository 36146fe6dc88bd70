/**
 * `npm run migrate-to-postgres` on a data folder of this release: a service on the embedded defaults
 * holds accounts, anchored uploads, a certificate, an idempotency key, a webhook with its deliveries and
 * a notice-and-takedown case with its captures and timers; every table of the schema is copied into a
 * real PostgreSQL server, row for row, and the one-row heads (the custody log's, the webhook cursor) with
 * it, so nothing is lost and no event is sent again.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import pg from "pg";
import { migrateToPostgres, tablesToCopy } from "../../scripts/migrate-to-postgres.ts";
import { SNAPSHOT } from "../fixtures/listing-snapshot.ts";
import { noticeOf, REASONS } from "../fixtures/notice-documents.ts";
import { startPostgres } from "../helpers/postgres.ts";
import { client, fileForm, startTestService, waitForAnchored } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { eventually, webhookReceiver } from "../helpers/webhook-receiver.ts";

type Json = Record<string, any>;

async function json(response: Response, status: number): Promise<Json> {
  const body = (await response.json()) as Json;
  expect(response.status, JSON.stringify(body)).to.equal(status);
  return body;
}

/** A table's rows as comparable text: SQLite gives numbers where PostgreSQL gives BIGINT as strings. */
const normalized = (rows: Record<string, unknown>[]) =>
  rows
    .map((row) =>
      JSON.stringify(
        Object.entries(row)
          .map(([k, v]) => [k, v === null ? null : String(v)])
          .sort(),
      ),
    )
    .sort();

describe("migrate-to-postgres on a data folder of this release", function () {
  this.timeout(120_000);
  const dir = tempDir("migrate-");
  after(() => dir.remove());

  it("copies every table, row for row, with the custody head and the webhook cursor", async () => {
    const data = join(dir.path, "data");
    const receiver = await webhookReceiver([200]);
    // A listing URL on a closed loopback port: the notice's capture is queued, tried and fails.
    const env = {
      WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`,
      WEBHOOK_INTERVAL_MS: "50",
      CAPTURE_ALLOW_HOSTS: "127.0.0.1:9",
      CAPTURE_VIDEO: "false",
      CAPTURE_WACZ: "false",
    };
    const service = await startTestService(data, env);
    try {
      const admin = client(service.url);
      const account = async (body: Json) => json(await admin.postJson("/v1/accounts", body), 201);
      const platform = await account({ name: "Marketplace", role: "platform" });
      const holder = await account({ name: "Brand", role: "rights-holder" });
      await account({ name: "Seller", role: "respondent", platformId: platform.id, sellerIds: ["seller-1"] });
      const [asHolder, asPlatform] = [holder, platform].map((a) => client(service.url, a.apiKey));
      const hook = await json(await asHolder!.postJson("/v1/webhooks", { url: receiver.url, events: ["*"] }), 201);
      receiver.secret = hook.secret;

      const form = fileForm({}, { file: { bytes: randomBytes(200), name: "listing.png" } });
      const upload = await fetch(`${service.url}/v1/evidence`, {
        method: "POST",
        headers: { authorization: `Bearer ${holder.apiKey}`, "idempotency-key": "upload-1" },
        body: form,
      });
      const uploaded = await json(upload, 201);
      await waitForAnchored(asHolder!, uploaded.id);
      expect((await asHolder!.get(`/v1/evidence/${uploaded.id}/certificate.pdf`)).status).to.equal(200);

      const listing = { url: "http://127.0.0.1:9/item/1", listingId: "1" };
      const filed = await json(await asHolder!.postJson("/v1/notices", noticeOf(platform.id, [listing])), 201);
      await json(
        await asPlatform!.postJson(`/v1/notices/${filed.id}/decisions`, {
          listings: [{ listingId: "1", action: "remove", sellerId: "seller-1" }],
          statementOfReasons: REASONS,
          takedownSnapshots: [{ listingId: "1", snapshot: { ...SNAPSHOT, url: listing.url, listingId: "1" } }],
        }),
        201,
      );
      await eventually(
        async () => {
          const c = await json(await asHolder!.get(`/v1/notices/${filed.id}`), 200);
          const ended = c.captures.every((x: Json) => x.status === "failed");
          const anchored = c.steps.every((s: Json) => s.anchor.status === "anchored");
          return ended && anchored && c.steps.some((s: Json) => s.type === "takedown.preserved") ? c : undefined;
        },
        60_000,
        "the case's captures ended and its steps anchored",
      );
      await eventually(() => (receiver.received.some((m) => m.body.type === "takedown.preserved") ? true : undefined), 20_000, "webhooks");
    } finally {
      await service.stop();
      await receiver.close();
    }

    const postgres = await startPostgres();
    try {
      const file = join(data, "index.sqlite");
      const copied = await migrateToPostgres(file, postgres.url, () => undefined);
      const source = new DatabaseSync(file, { readOnly: true });
      const target = new pg.Client({ connectionString: postgres.url });
      await target.connect();
      try {
        const tables = tablesToCopy(source);
        // Every table of the schema is copied, but those that are each database's own or the running instances'.
        const all = (source.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Json[])
          .map((r) => r.name as string)
          .filter((name) => !tables.includes(name))
          .sort();
        expect(all).to.deep.equal(["custody_head", "leases", "rate_limits", "schema_migrations", "webhook_cursor"]);
        // Nothing here asks for a time-stamp (no TSA) or refuses an upload: every other table holds rows.
        expect(tables.filter((t) => copied[t] === 0).sort()).to.deep.equal(["content_releases", "timestamps"]);
        for (const table of tables) {
          const before = source.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
          const after = (await target.query(`SELECT * FROM ${table}`)).rows as Record<string, unknown>[];
          expect(normalized(after), table).to.deep.equal(normalized(before));
        }
        for (const head of ["custody_head", "webhook_cursor"]) {
          const before = source.prepare(`SELECT * FROM ${head}`).all() as Record<string, unknown>[];
          expect(normalized((await target.query(`SELECT * FROM ${head}`)).rows), head).to.deep.equal(normalized(before));
        }
      } finally {
        await target.end();
        source.close();
      }
    } finally {
      await postgres.stop();
    }
  });
});
