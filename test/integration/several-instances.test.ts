/**
 * Several instances, as a platform runs them behind a load balancer: three service processes on one
 * PostgreSQL, one Kubo node and one chain. Uploads go to all three; the anchoring instance is killed
 * with -9 while its batch's transaction waits in the mempool; another takes over within the lease and
 * finishes it. Every accepted item ends anchored exactly once (one RootAnchored event per batch, one
 * transaction per anchor, no nonce used twice), its receipt verifies, and a capture cut short by the
 * kill is run again on another instance.
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import { POSTGRES_MIGRATIONS } from "../../src/adapters/index/postgres/migrations.ts";
import { join } from "node:path";
import { Wallet, id as eventTopic } from "ethers";
import pg from "pg";
import { ANVIL_DEV_PRIVATE_KEY, startAnvil, type AnvilChain } from "../../src/adapters/chain/anvil.ts";
import { registryArtifact } from "../../src/adapters/chain/artifact.ts";
import { deployRegistry } from "../../src/adapters/chain/deployment.ts";
import { rpcCall, rpcProvider } from "../../src/adapters/chain/provider.ts";
import { verifyIndependently } from "../helpers/independent-verifier.ts";
import { startKuboPeer, type KuboPeer } from "../helpers/kubo-peer.ts";
import { SNAPSHOT } from "../fixtures/listing-snapshot.ts";
import { counterNoticeOf, noticeOf, REASONS } from "../fixtures/notice-documents.ts";
import { startMarketplace, type Marketplace } from "../helpers/fixture-marketplace.ts";
import { startPostgres, type PostgresServer } from "../helpers/postgres.ts";
import { client, fileForm } from "../helpers/service.ts";
import { spawnService, type ServiceProcess } from "../helpers/service-process.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;
const ANCHOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const ROOT_ANCHORED = eventTopic("RootAnchored(bytes32,address,uint64,uint64)");

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("three instances on one PostgreSQL, one Kubo node and one chain", function () {
  this.timeout(300_000);
  const dir = tempDir("instances-");
  let postgres: PostgresServer;
  let kubo: KuboPeer;
  let chain: AnvilChain;
  let market: Marketplace;
  let registry: string;
  let db: pg.Pool;
  const instances: ServiceProcess[] = [];

  before(async () => {
    [postgres, kubo, market] = await Promise.all([startPostgres(), startKuboPeer(), startMarketplace()]);
    chain = await startAnvil({ stateDir: join(dir.path, "chain"), port: 0 });
    const provider = rpcProvider(chain.rpcUrl);
    registry = (
      await deployRegistry(new Wallet(ANVIL_DEV_PRIVATE_KEY, provider), registryArtifact, {
        network: "shared",
        anchorer: new Wallet(ANCHOR_KEY).address,
      })
    ).address;
    provider.destroy();
    db = new pg.Pool({ connectionString: postgres.url });
    const env = {
      DATABASE_URL: postgres.url,
      IPFS_API_URL: kubo.apiUrl,
      CHAIN_RPC_URL: chain.rpcUrl,
      ANCHOR_PRIVATE_KEY: ANCHOR_KEY,
      REGISTRY_ADDRESS: registry,
      ANCHOR_INTERVAL_MS: "200",
      ANCHOR_LEASE_MS: "3000",
      CAPTURE_LEASE_MS: "3000",
      CAPTURE_TIMEOUT_MS: "30000",
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
    };
    // Started together: they migrate the database once between them, and create one admin.
    instances.push(...(await Promise.all([0, 1, 2].map((i) => spawnService(join(dir.path, `instance-${i}`), env)))));
  });
  after(async () => {
    await Promise.all(instances.filter((s) => s.child.exitCode === null && s.child.signalCode === null).map((s) => s.stop()));
    await db?.end();
    await Promise.all([postgres?.stop(), kubo?.stop(), chain?.stop(), market?.close()]);
    dir.remove();
  });

  /** The instance whose pid the lease holder's name carries (`host:pid:inst_…`). */
  const byHolder = (holder: string) => instances.find((s) => s.child.pid === Number(holder.split(":")[1]))!;

  it("makes one certificate between instances asked for it at once: every instance gives the same bytes", async () => {
    const live = instances.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    const up = (await (
      await client(live[0]!.url).postForm(
        "/v1/evidence",
        fileForm({}, { file: { bytes: Buffer.from(`certified ${Math.random()}`), name: "c.txt" } }),
      )
    ).json()) as Json;
    await until(
      "the item is anchored",
      async () => ((await (await client(live[0]!.url).get(`/v1/evidence/${up.id}`)).json()) as Json).status === "anchored",
    );
    const downloads = await Promise.all(
      live.map(async (s) => {
        const response = await client(s.url).get(`/v1/evidence/${up.id}/certificate.pdf`);
        expect(response.status, response.ok ? "" : await response.clone().text()).to.equal(200);
        return { etag: response.headers.get("etag"), pdf: Buffer.from(await response.arrayBuffer()) };
      }),
    );
    const rows = (await db.query("SELECT sha256, size::int AS size FROM certificates WHERE evidence_id = $1", [up.id])).rows;
    expect(rows).to.deep.equal([{ sha256: createHash("sha256").update(downloads[0]!.pdf).digest("hex"), size: downloads[0]!.pdf.length }]);
    for (const d of downloads) {
      expect(d.pdf.equals(downloads[0]!.pdf)).to.equal(true);
      expect(d.etag).to.equal(`"${rows[0].sha256}"`);
    }
  });

  it("runs a notice-and-takedown case across instances: of two decisions raced, one is taken; every instance reads the same case", async () => {
    const live = instances.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    expect(live.length).to.be.at.least(2);
    const [one, two] = [live[0]!, live[1]!];
    const admin = client(one.url);
    const account = async (body: Json) => {
      const response = await admin.postJson("/v1/accounts", body);
      expect(response.status).to.equal(201);
      return (await response.json()) as Json;
    };
    const platform = await account({ name: "Marketplace", role: "platform" });
    const holder = await account({ name: "Brand", role: "rights-holder" });
    const sellers = await Promise.all(
      ["s-1", "s-2"].map((id) => account({ name: `Seller ${id}`, role: "respondent", platformId: platform.id, sellerIds: [id] })),
    );
    const as = (instance: ServiceProcess, a: Json) => client(instance.url, a.apiKey);
    const listing = (id: string) => ({ url: `${market.origin}/item/${id}`, listingId: id });

    const filing = await as(one, holder).postJson("/v1/notices", noticeOf(platform.id, [listing("8842"), listing("8843")]));
    const filed = (await filing.json()) as Json;
    expect(filing.status, JSON.stringify(filed)).to.equal(201);

    // The platform's desk sends its decision twice, to two instances at once: one is taken, one refused.
    const snapshot = (id: string) => ({ listingId: id, snapshot: { ...SNAPSHOT, ...listing(id) } });
    const decision = {
      listings: [
        { listingId: "8842", action: "remove", sellerId: "s-1" },
        { listingId: "8843", action: "remove", sellerId: "s-2" },
      ],
      statementOfReasons: REASONS,
      takedownSnapshots: [snapshot("8842"), snapshot("8843")],
      capture: false,
    };
    const raced = await Promise.all(
      [one, two].map(async (instance) => {
        const response = await as(instance, platform).postJson(`/v1/notices/${filed.id}/decisions`, decision);
        return [response.status, ((await response.json()) as Json).code ?? null];
      }),
    );
    expect(raced.sort()).to.deep.equal([
      [201, null],
      [409, "NOTICE_STATE_CONFLICT"],
    ]);

    // Each seller counters on another instance, at once: both are taken, numbered one after the other.
    await until("the takedown preserved", async () => {
      const c = (await (await as(two, holder).get(`/v1/notices/${filed.id}`)).json()) as Json;
      return c.steps?.some((s: Json) => s.type === "takedown.preserved");
    });
    const countered = await Promise.all(
      [
        [one, sellers[0]!, "8842"],
        [two, sellers[1]!, "8843"],
      ].map(async ([instance, seller, id]) => {
        const response = await as(instance as ServiceProcess, seller as Json).postJson(
          `/v1/notices/${filed.id}/counter-notices`,
          counterNoticeOf([id as string]),
        );
        expect(response.status).to.equal(201);
        return ((await response.json()) as Json).seq as number;
      }),
    );
    expect(countered.sort()).to.deep.equal([4, 5]);

    // Every step anchored and both reported listings captured, and the holder reads one case wherever it asks.
    const settled = await until(
      "every step anchored and the captures anchored",
      async () => {
        const c = (await (await as(one, holder).get(`/v1/notices/${filed.id}`)).json()) as Json;
        const done = c.steps.every((s: Json) => s.anchor.status === "anchored") && c.captures.every((x: Json) => x.status === "anchored");
        return done ? c : undefined;
      },
      90_000,
    );
    expect(settled.steps.map((s: Json) => [s.seq, s.type])).to.deep.equal([
      [1, "notice.filed"],
      [2, "notice.decided"],
      [3, "takedown.preserved"],
      [4, "counter-notice.filed"],
      [5, "counter-notice.filed"],
    ]);
    expect(settled.captures.map((c: Json) => [c.listingId, c.purpose])).to.deep.equal([
      ["8842", "reported"],
      ["8843", "reported"],
    ]);
    for (const instance of live) {
      expect((await (await as(instance, holder).get(`/v1/notices/${filed.id}`)).json()) as Json, instance.url).to.deep.equal(settled);
    }
  });

  it("anchors every accepted item exactly once across a kill -9 of the anchoring instance mid-batch", async () => {
    expect((await db.query("SELECT count(*)::int AS n FROM accounts WHERE role = 'admin'")).rows[0].n).to.equal(1);
    // Three instances started together applied each migration once.
    expect((await db.query("SELECT version FROM schema_migrations ORDER BY version")).rows.map((r) => r.version)).to.deep.equal(
      POSTGRES_MIGRATIONS.map((m) => m.version),
    );

    // A capture that takes a while: the instance running it is killed too.
    const capture = (await (
      await client(instances[0]!.url).postJson("/v1/captures", { url: `${market.origin}/very-slow-item/1` })
    ).json()) as Json;
    const captureHolder = await until(
      "the capture is running",
      async () =>
        (await db.query("SELECT lease_owner FROM captures WHERE id = $1 AND status = 'running'", [capture.id])).rows[0]
          ?.lease_owner as string,
    );

    // The chain stops mining: the next batch's transaction waits in the mempool.
    await rpcCall(chain.rpcUrl, "evm_setAutomine", [false]);
    const accepted: string[] = [];
    const uploads = async (count: number, to: ServiceProcess[]) => {
      const answers = await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const api = client(to[i % to.length]!.url);
          const response = await api.postForm(
            "/v1/evidence",
            fileForm({}, { file: { bytes: Buffer.from(`item ${accepted.length}-${i} ${Math.random()}`), name: `i${i}.txt` } }),
          );
          expect(response.status).to.equal(201);
          return ((await response.json()) as Json).id as string;
        }),
      );
      accepted.push(...answers);
    };
    await uploads(30, instances);
    const sent = await until(
      "a batch is sent",
      async () => (await db.query("SELECT id FROM batches WHERE state = 'sent'")).rows[0]?.id as string,
    );
    const anchoring = byHolder((await db.query("SELECT holder FROM leases WHERE name = 'anchoring'")).rows[0].holder);

    const killed = new Set([anchoring, byHolder(captureHolder)]);
    for (const instance of killed) await instance.kill9();
    const survivors = instances.filter((s) => !killed.has(s));
    await uploads(10, survivors);
    await rpcCall(chain.rpcUrl, "evm_setAutomine", [true]);
    await rpcCall(chain.rpcUrl, "evm_mine", []);

    await until(
      "every accepted item is anchored",
      async () =>
        (await db.query("SELECT count(*)::int AS n FROM evidence WHERE status = 'anchored' AND id = ANY($1)", [accepted])).rows[0].n ===
        accepted.length,
      90_000,
    );
    const newHolder = byHolder((await db.query("SELECT holder FROM leases WHERE name = 'anchoring'")).rows[0].holder);
    expect(survivors).to.include(newHolder);
    expect((await db.query("SELECT state FROM batches WHERE id = $1", [sent])).rows[0].state).to.equal("anchored"); // the batch in flight, finished

    // Exactly once: one RootAnchored per anchored batch, each item in one of them, one transaction each.
    const batches = (await db.query("SELECT id, root, tx_hash FROM batches WHERE state = 'anchored'")).rows as {
      id: string;
      root: string;
      tx_hash: string;
    }[];
    const logs = (await rpcCall(chain.rpcUrl, "eth_getLogs", [
      { address: registry, fromBlock: "0x0", toBlock: "latest", topics: [ROOT_ANCHORED] },
    ])) as { topics: string[] }[];
    expect(logs.map((l) => l.topics[1]).sort()).to.deep.equal(batches.map((b) => b.root).sort());
    const nonce = Number(await rpcCall(chain.rpcUrl, "eth_getTransactionCount", [new Wallet(ANCHOR_KEY).address, "latest"]));
    expect(nonce, "one transaction per anchor: no nonce used twice, none wasted").to.equal(logs.length);
    const items = (
      await db.query("SELECT e.id, b.state FROM evidence e JOIN batches b ON b.id = e.batch_id WHERE e.id = ANY($1)", [accepted])
    ).rows;
    expect(items).to.have.length(accepted.length);
    expect(new Set(items.map((i) => i.state))).to.deep.equal(new Set(["anchored"]));
    const events = (await db.query("SELECT subject FROM outbox WHERE type = 'evidence.anchored' AND subject = ANY($1)", [accepted])).rows;
    expect(events.map((e) => e.subject).sort()).to.deep.equal([...accepted].sort());

    // Receipts verify, from any surviving instance, for items uploaded to each.
    for (const id of [accepted[0]!, accepted[1]!, accepted[2]!, accepted[accepted.length - 1]!]) {
      const api = client(survivors[0]!.url);
      const receipt = (await (await api.get(`/v1/evidence/${id}/receipt`)).json()) as Json;
      const content = Buffer.from(await (await api.get(`/v1/evidence/${id}/content`)).arrayBuffer());
      await verifyIndependently(receipt, content, chain.rpcUrl);
    }

    // The capture cut short by the kill ran again on a survivor.
    const ended = await until(
      "the capture ends",
      async () => {
        const row = (await db.query("SELECT status, attempts, lease_owner FROM captures WHERE id = $1", [capture.id])).rows[0];
        return row.status === "completed" || row.status === "failed" ? row : undefined;
      },
      90_000,
    );
    expect(ended).to.deep.include({ status: "completed", attempts: 2 }); // stored as the first release wrote it: `captured` in the API
    const record = (await (await client(survivors[0]!.url).get(`/v1/captures/${capture.id}`)).json()) as Json;
    expect(record.finalUrl).to.equal(`${market.origin}/very-slow-item/1`);
  });
});
