/**
 * `npm run bench`: measures the service on its embedded defaults (what `npm start` runs), on this
 * machine, and prints a Markdown report (`-- --write` also writes docs/benchmarks.md). All traffic stays
 * on 127.0.0.1. Numbers are measured, never asserted: tests do not time anything.
 *
 *   uploads/s and p50/p99 latency, 100 KB files, concurrency 1 and 16
 *   MB/s for 5 MB and 50 MB files, next to sha256sum and openssl on the same bytes
 *   time from 201 to receipt (p50/p99) at ANCHOR_INTERVAL_MS=2000
 *   gas per item at batch sizes 1, 10, 100, 1000, next to one transaction per item
 *   peak RSS of the service process
 *   time to capture a listing URL (fixture marketplace on 127.0.0.1) in a clean Chromium, with the video of
 *   the visit (the default) and without it (CAPTURE_VIDEO=false, on a second service), and with and
 *   without its WACZ archive (CAPTURE_WACZ)
 *   listing snapshots taken in: snapshots/s through POST /v1/evidence/listing-snapshots:batch (1000 a
 *   request), next to one POST /v1/evidence/listing-snapshots each (`-- --snapshots-only`: these alone)
 *   webhook deliveries/s and the lag from an event to its receipt, to a receiver on 127.0.0.1 that
 *   verifies every signature (`-- --webhooks-only`: these alone)
 *   the same 100 KB uploads and time to receipt with the index on PostgreSQL (a local server started
 *   here), on one instance and on three sharing it
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes, createHash } from "node:crypto";
import { cpus, freemem, totalmem } from "node:os";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Contract, Wallet } from "ethers";
import { ANVIL_DEV_PRIVATE_KEY, startAnvil } from "../src/adapters/chain/anvil.ts";
import { registryArtifact } from "../src/adapters/chain/artifact.ts";
import { deployRegistry } from "../src/adapters/chain/deployment.ts";
import { rpcProvider } from "../src/adapters/chain/provider.ts";
import { spawnService, type ServiceProcess } from "../test/helpers/service-process.ts";
import { startPostgres } from "../test/helpers/postgres.ts";
import { ADMIN_KEY } from "../test/helpers/service.ts";
import { startMarketplace } from "../test/helpers/fixture-marketplace.ts";
import { eventually, webhookReceiver } from "../test/helpers/webhook-receiver.ts";

const MiB = 1024 * 1024;
const ANCHOR_INTERVAL_MS = 2000;
const work = mkdtempSync(join(tmpdir(), "evidence-bench-"));

// ---------------------------------------------------------------------------------------------------
// Helpers

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function multipartBody(bytes: Uint8Array, name: string): { body: Buffer; contentType: string } {
  const boundary = "bench" + randomBytes(8).toString("hex");
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, bytes, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function upload(url: string, bytes: Uint8Array, name: string): Promise<{ id: string; ms: number }> {
  const { body, contentType } = multipartBody(bytes, name);
  const started = performance.now();
  const response = await fetch(`${url}/v1/evidence`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": contentType },
    body,
  });
  const json = (await response.json()) as { id: string };
  if (response.status !== 201) throw new Error(`upload answered ${response.status}: ${JSON.stringify(json)}`);
  return { id: json.id, ms: performance.now() - started };
}

/** Samples the service's RSS (VmRSS) every 20 ms; `peak()` gives the highest since the last reset. */
function rssSampler(pid: number) {
  let peak = 0;
  const read = () => {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
  };
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, read());
    } catch {
      /* the process is gone */
    }
  }, 20);
  return {
    peak: () => peak,
    reset: () => (peak = read()),
    stop: () => clearInterval(timer),
  };
}

/** `total` uploads of `size` bytes, `concurrency` at a time, spread over `urls` (instances) in turn. */
async function uploadsAtConcurrency(urls: string | string[], concurrency: number, total: number, size: number) {
  const targets = Array.isArray(urls) ? urls : [urls];
  const base = randomBytes(size);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const bytes = Buffer.from(base);
        bytes.writeUInt32BE(i, 0); // every file distinct, as real evidence is
        bytes.writeUInt32BE(concurrency, 4);
        latencies.push((await upload(targets[i % targets.length]!, bytes, `f${i}.bin`)).ms);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), total };
}

async function largeFiles(url: string, size: number, count: number) {
  const file = randomBytes(size);
  file.writeUInt32BE(0xffffffff, 0);
  await upload(url, file, "warm-up.bin"); // one untimed upload of this size first: JIT and buffers warm
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    file.writeUInt32BE(i, 0);
    times.push((await upload(url, file, `large${i}.bin`)).ms);
  }
  const totalMs = times.reduce((a, b) => a + b, 0);
  return { mbPerSecond: (size * count) / MiB / (totalMs / 1000), file };
}

function toolThroughput(tool: string, args: string[], path: string, size: number): number {
  // Best of three, so a cold page cache does not count against the tool.
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const result = spawnSync(tool, [...args, path], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr}`);
    best = Math.min(best, performance.now() - started);
  }
  return size / MiB / (best / 1000);
}

function nodeSha256Throughput(bytes: Buffer): number {
  const started = performance.now();
  createHash("sha256").update(bytes).digest();
  return bytes.length / MiB / ((performance.now() - started) / 1000);
}

async function timeToReceipt(url: string, count: number, ratePerSecond: number) {
  const acceptedAt = new Map<string, number>();
  const anchoredAt = new Map<string, number>();
  const headers = { authorization: `Bearer ${ADMIN_KEY}` };
  let done = false;
  const poller = (async () => {
    // The list endpoint tells every item's status in one request; a client polling each would see the same.
    while (!done || anchoredAt.size < acceptedAt.size) {
      let cursor: string | null = null;
      do {
        const page = (await (await fetch(`${url}/v1/evidence?limit=500${cursor ? `&cursor=${cursor}` : ""}`, { headers })).json()) as {
          items: { id: string; status: string }[];
          nextCursor: string | null;
        };
        const now = performance.now();
        for (const item of page.items)
          if (item.status === "anchored" && acceptedAt.has(item.id) && !anchoredAt.has(item.id)) anchoredAt.set(item.id, now);
        cursor = page.nextCursor;
      } while (cursor);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const bytes = randomBytes(10_000);
  for (let i = 0; i < count; i++) {
    bytes.writeUInt32BE(i, 0);
    bytes.writeUInt32BE(0xfeed, 4);
    const { id } = await upload(url, bytes, `r${i}.bin`);
    acceptedAt.set(id, performance.now());
    await new Promise((r) => setTimeout(r, 1000 / ratePerSecond));
  }
  done = true;
  await poller;
  const waits = [...acceptedAt].map(([id, t]) => anchoredAt.get(id)! - t).sort((a, b) => a - b);
  return { p50: percentile(waits, 50), p99: percentile(waits, 99), count };
}

async function gasPerItem() {
  const chain = await startAnvil({ stateDir: join(work, "gas-chain"), port: 0 });
  try {
    const provider = rpcProvider(chain.rpcUrl, 31337);
    const signer = new Wallet(ANVIL_DEV_PRIVATE_KEY, provider);
    const record = await deployRegistry(signer, registryArtifact, { network: "bench" });
    const registry = new Contract(record.address, registryArtifact.abi, signer);
    const rows: { batch: number; gas: number; perItem: number; oneTxPerItem: number }[] = [];
    let single = 0;
    for (const size of [1, 10, 100, 1000]) {
      const values = Array.from({ length: size }, (_, i) => [
        "0x" + randomBytes(32).toString("hex"),
        "0x" + createHash("sha256").update(`m${i}`).digest("hex"),
      ]);
      const tree = StandardMerkleTree.of(values, ["bytes32", "bytes32"]);
      const receipt = await (await registry.getFunction("anchor")(tree.root)).wait();
      const gas = Number(receipt.gasUsed);
      if (size === 1) single = gas;
      rows.push({ batch: size, gas, perItem: gas / size, oneTxPerItem: single });
    }
    provider.destroy();
    return rows;
  } finally {
    await chain.stop();
  }
}

/** One capture of the fixture listing: from the 202 to `captured`, and to `anchored` (its proof exists). */
async function timeCapture(url: string, origin: string): Promise<{ captured: number; anchored: number }> {
  const headers = { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" };
  const started = performance.now();
  const response = await fetch(`${url}/v1/captures`, { method: "POST", headers, body: JSON.stringify({ url: `${origin}/item/8842` }) });
  const { id } = (await response.json()) as { id: string };
  let captured = 0;
  for (;;) {
    const { status } = (await (await fetch(`${url}/v1/captures/${id}`, { headers })).json()) as { status: string };
    if (status === "failed") throw new Error(`bench: capture ${id} failed`);
    if (!captured && (status === "captured" || status === "anchored")) captured = performance.now() - started;
    if (status === "anchored") return { captured, anchored: performance.now() - started };
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * What the video and the WACZ cost a capture: four services (video on/off × WACZ on/off, on their
 * embedded defaults otherwise), capturing in turn, one capture at a time, so that the machine's other
 * load falls on all alike. Each capture is timed from its 202 to `captured` and to `anchored`.
 */
async function captureCosts(origin: string, port: number, count: number) {
  const variants: { name: string; env: Record<string, string> }[] = [
    { name: "video and WACZ (the default)", env: {} },
    { name: "WACZ only (`CAPTURE_VIDEO=false`)", env: { CAPTURE_VIDEO: "false" } },
    { name: "video only (`CAPTURE_WACZ=false`)", env: { CAPTURE_WACZ: "false" } },
    { name: "neither", env: { CAPTURE_VIDEO: "false", CAPTURE_WACZ: "false" } },
  ];
  const services = await Promise.all(
    variants.map((v, i) => spawnService(join(work, `capture-${i}`), { CAPTURE_ALLOW_HOSTS: `127.0.0.1:${port}`, ...v.env })),
  );
  try {
    const times = variants.map(() => ({ captured: [] as number[], anchored: [] as number[] }));
    for (let round = 0; round < count; round++) {
      for (const [i, service] of services.entries()) {
        const t = await timeCapture(service.url, origin);
        times[i]!.captured.push(t.captured);
        times[i]!.anchored.push(t.anchored);
      }
    }
    const p50 = (list: number[]) =>
      percentile(
        [...list].sort((a, b) => a - b),
        50,
      );
    return variants.map((v, i) => ({ name: v.name, count, captured: p50(times[i]!.captured), anchored: p50(times[i]!.anchored) }));
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
}

const captureRows = (costs: Awaited<ReturnType<typeof captureCosts>>) =>
  costs
    .map(
      (c) =>
        `| capture of a listing URL, ${c.name}, ${c.count} in turn: 202 → captured / 202 → anchored | p50 ${round(c.captured / 1000, 2)} s / ${round(c.anchored / 1000, 2)} s | |`,
    )
    .join("\n");

/** A platform's takedown snapshot number `n`: distinct listings, as a marketplace sends them. */
const benchSnapshot = (n: number) => ({
  url: `https://marketplace.example/item/${n}`,
  platform: "marketplace.example",
  listingId: String(n),
  title: `Listing ${n} — designer handbag`,
  price: { amount: "39.99", currency: "USD" },
  seller: { id: `seller-${n % 97}`, name: "Bargain Bags" },
  capturedAt: "2026-11-27T10:00:00Z",
  caseRef: `TD-${n}`,
});

/**
 * Snapshots/s taken in: `batches` NDJSON batches of `size` lines, `concurrency` requests at a time, each
 * answered once every snapshot in it is on disk and indexed; and, for comparison, `singles` snapshots
 * sent one a request at concurrency 16.
 */
async function snapshotIntake(url: string, size: number, batches: number, concurrency: number, singles: number) {
  const headers = { authorization: `Bearer ${ADMIN_KEY}` };
  let n = 0;
  let sent = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < batches) {
        sent++;
        const body = Array.from({ length: size }, () => JSON.stringify(benchSnapshot(n++))).join("\n");
        const t = performance.now();
        const response = await fetch(`${url}/v1/evidence/listing-snapshots:batch`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/x-ndjson" },
          body,
        });
        const result = (await response.json()) as { accepted: number };
        if (response.status !== 200 || result.accepted !== size) throw new Error(`bench: batch answered ${response.status}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const batchSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  let next = 0;
  const singleStarted = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < singles) {
        next++;
        const response = await fetch(`${url}/v1/evidence/listing-snapshots`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify(benchSnapshot(1_000_000 + n++)),
        });
        if (response.status !== 201) throw new Error(`bench: snapshot answered ${response.status}`);
        await response.arrayBuffer();
      }
    }),
  );
  const singleSeconds = (performance.now() - singleStarted) / 1000;
  return {
    size,
    batches,
    concurrency,
    perSecond: (size * batches) / batchSeconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    singles,
    singlesPerSecond: singles / singleSeconds,
  };
}

const snapshotRows = (s: Awaited<ReturnType<typeof snapshotIntake>>) =>
  [
    `| listing snapshots in NDJSON batches of ${s.size} (${s.batches} batches, ${s.concurrency} at a time) | ${round(s.perSecond)} snapshots/s; p50 ${round(s.p50)} ms, p99 ${round(s.p99)} ms a batch | |`,
    `| listing snapshots one a request (${s.singles}, concurrency 16) | ${round(s.singlesPerSecond)} snapshots/s | |`,
  ].join("\n");

/**
 * Webhook deliveries/s: a webhook for `evidence.anchored` to a receiver on loopback that verifies every
 * message's Standard Webhooks signature, then `count` listing snapshots in NDJSON batches of 1000 sent side
 * by side: each anchored snapshot is one event. The rate runs from the first event's occurredAt (the
 * payload's `timestamp`, written in the anchoring transaction) to the last delivery received; the lag of
 * each is from its event's occurredAt to its receipt (one clock: the same machine).
 */
async function webhookDelivery(count: number) {
  const receiver = await webhookReceiver([200]);
  const service = await spawnService(join(work, "webhooks"), {
    ANCHOR_INTERVAL_MS: String(ANCHOR_INTERVAL_MS),
    WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`,
  });
  try {
    const headers = { authorization: `Bearer ${ADMIN_KEY}` };
    const hook = await fetch(`${service.url}/v1/webhooks`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ url: receiver.url, events: ["evidence.anchored"] }),
    });
    if (hook.status !== 201) throw new Error(`bench: webhook registration answered ${hook.status}`);
    receiver.secret = ((await hook.json()) as { secret: string }).secret;
    const ids = new Set<string>();
    await Promise.all(
      Array.from({ length: Math.ceil(count / 1000) }, async (_, b) => {
        const lines = Array.from({ length: Math.min(1000, count - b * 1000) }, (_, i) =>
          JSON.stringify(benchSnapshot(2_000_000 + b * 1000 + i)),
        );
        const response = await fetch(`${service.url}/v1/evidence/listing-snapshots:batch`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/x-ndjson" },
          body: lines.join("\n"),
        });
        const result = (await response.json()) as { accepted: number; results: { id: string }[] };
        if (response.status !== 200 || result.accepted !== lines.length) throw new Error(`bench: batch answered ${response.status}`);
        for (const line of result.results) ids.add(line.id);
      }),
    );
    await eventually(() => (receiver.received.length >= count ? true : undefined), 150_000, `${count} webhook deliveries`);
    const received = receiver.received;
    const unverified = received.filter((m) => m.verified !== true);
    if (unverified.length > 0) throw new Error(`bench: ${unverified.length} deliveries failed verification: ${unverified[0]!.verified}`);
    const delivered = new Set(received.map((m) => m.body.data.id as string));
    if (new Set(received.map((m) => m.id)).size !== count || [...ids].some((id) => !delivered.has(id)))
      throw new Error(`bench: ${received.length} deliveries do not match the ${count} snapshots anchored`);
    const occurred = received.map((m) => Date.parse(m.body.timestamp as string));
    const first = Math.min(...occurred);
    const last = Math.max(...received.map((m) => m.at));
    const lags = received.map((m, i) => m.at - occurred[i]!).sort((a, b) => a - b);
    return {
      count,
      perSecond: count / ((last - first) / 1000),
      seconds: (last - first) / 1000,
      producedOver: (Math.max(...occurred) - first) / 1000,
      p50: percentile(lags, 50),
      p95: percentile(lags, 95),
    };
  } finally {
    await service.stop();
    await receiver.close();
  }
}

const webhookRows = (w: Awaited<ReturnType<typeof webhookDelivery>>) =>
  `| webhook delivery rate: ${w.count} \`evidence.anchored\` events (events over ${round(w.producedOver, 2)} s), first event → last delivery received and verified | ${round(w.perSecond)} deliveries/s (${round(w.seconds, 2)} s); lag from the event to its receipt p50 ${round(w.p50 / 1000, 2)} s, p95 ${round(w.p95 / 1000, 2)} s | |`;

/** 100 KB uploads at concurrency 16 and the time to receipt, with the index on PostgreSQL, on 1 and on 3 instances. */
async function postgresRuns() {
  const postgres = await startPostgres();
  const chain = await startAnvil({ stateDir: join(work, "pg-chain"), port: 0 });
  const provider = rpcProvider(chain.rpcUrl, 31337);
  const registry = (await deployRegistry(new Wallet(ANVIL_DEV_PRIVATE_KEY, provider), registryArtifact, { network: "bench" })).address;
  provider.destroy();
  const env = {
    DATABASE_URL: postgres.url,
    CHAIN_RPC_URL: chain.rpcUrl,
    ANCHOR_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEY,
    REGISTRY_ADDRESS: registry,
    // One block store folder for every instance, as a shared mount would be: the index is what differs.
    IPFS_BLOCKSTORE_SHARED: "true",
    ANCHOR_INTERVAL_MS: String(ANCHOR_INTERVAL_MS),
  };
  const instances: ServiceProcess[] = [];
  try {
    instances.push(await spawnService(join(work, "pg-data"), env));
    console.error("bench: PostgreSQL, 1 instance: 100 KB uploads, concurrency 16");
    const one = await uploadsAtConcurrency(instances[0]!.url, 16, 2000, 100_000);
    await new Promise((r) => setTimeout(r, ANCHOR_INTERVAL_MS * 3));
    const oneReceipt = await timeToReceipt(instances[0]!.url, 100, 20);
    instances.push(...(await Promise.all([1, 2].map(() => spawnService(join(work, "pg-data"), env)))));
    console.error("bench: PostgreSQL, 3 instances: 100 KB uploads, concurrency 16 spread over them");
    const three = await uploadsAtConcurrency(
      instances.map((i) => i.url),
      16,
      2000,
      100_000,
    );
    await new Promise((r) => setTimeout(r, ANCHOR_INTERVAL_MS * 3));
    const threeReceipt = await timeToReceipt(instances[1]!.url, 100, 20);
    return { one, oneReceipt, three, threeReceipt };
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
    await chain.stop();
    await postgres.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// The run

const machine = {
  date: new Date().toISOString().slice(0, 10),
  cpu: `${cpus().length} × ${cpus()[0]?.model ?? "unknown"}`,
  memory: `${round(totalmem() / 1024 ** 3)} GiB (${round(freemem() / 1024 ** 3)} GiB free)`,
  node: process.version,
  disk: execFileSync("df", ["-h", "--output=source,fstype", work], { encoding: "utf8" }).trim().split("\n")[1],
  kernel: execFileSync("uname", ["-sr"], { encoding: "utf8" }).trim(),
};
console.error(`bench: ${JSON.stringify(machine)}`);

if (process.argv.includes("--snapshots-only")) {
  // `npm run bench -- --snapshots-only`: the snapshot intake rows alone, on a service of their own.
  const intake = await spawnService(join(work, "snapshots"), { ANCHOR_INTERVAL_MS: String(ANCHOR_INTERVAL_MS) });
  try {
    console.log(`${JSON.stringify(machine)}\n\n${snapshotRows(await snapshotIntake(intake.url, 1000, 20, 2, 2000))}`);
  } finally {
    await intake.stop();
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}
if (process.argv.includes("--webhooks-only")) {
  // `npm run bench -- --webhooks-only`: the webhook delivery row alone, on a service of its own.
  try {
    console.log(`${JSON.stringify(machine)}\n\n${webhookRows(await webhookDelivery(2000))}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}
const market = await startMarketplace();
if (process.argv.includes("--captures-only")) {
  // `npm run bench -- --captures-only`: the capture rows alone (a few minutes, not the whole run).
  try {
    console.log(`${JSON.stringify(machine)}\n\n${captureRows(await captureCosts(market.origin, market.port, 5))}`);
  } finally {
    await market.close();
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}
const service = await spawnService(join(work, "data"), {
  ANCHOR_INTERVAL_MS: String(ANCHOR_INTERVAL_MS),
  MAX_UPLOAD_BYTES: String(64 * MiB),
  CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
});
const rss = rssSampler(service.child.pid!);
try {
  console.error("bench: 100 KB uploads, concurrency 1");
  const c1 = await uploadsAtConcurrency(service.url, 1, 300, 100_000);
  console.error("bench: 100 KB uploads, concurrency 16");
  const c16 = await uploadsAtConcurrency(service.url, 16, 2000, 100_000);
  const rssSmall = rss.peak();

  console.error("bench: 5 MB files");
  const five = await largeFiles(service.url, 5 * MiB, 20);
  rss.reset();
  console.error("bench: 50 MB files");
  const fifty = await largeFiles(service.url, 50 * MiB, 6);
  const rssLarge = rss.peak();

  const sample = join(work, "sample-50m.bin");
  writeFileSync(sample, fifty.file);
  const sha256sum = toolThroughput("sha256sum", [], sample, fifty.file.length);
  const openssl = toolThroughput("openssl", ["dgst", "-sha256"], sample, fifty.file.length);
  const nodeHash = nodeSha256Throughput(fifty.file);

  console.error("bench: waiting for the backlog to be anchored, then time from 201 to receipt");
  await new Promise((r) => setTimeout(r, ANCHOR_INTERVAL_MS * 3));
  const receipt = await timeToReceipt(service.url, 100, 20);
  console.error("bench: listing snapshots, in batches and one a request");
  const snapshots = await snapshotIntake(service.url, 1000, 20, 2, 2000);
  const rssOverall = rss.peak();
  rss.stop();
  await service.stop();
  console.error("bench: webhook deliveries");
  const webhooks = await webhookDelivery(2000);
  console.error("bench: captures, with and without the video and the WACZ");
  const captures = await captureCosts(market.origin, market.port, 5);

  console.error("bench: gas per item");
  const gas = await gasPerItem();
  const pg = await postgresRuns();

  const report = `## Results — ${machine.date}

Machine: ${machine.cpu}; ${machine.memory}; ${machine.kernel}; disk ${machine.disk}; Node ${machine.node}.
Service: \`npm start\`'s embedded defaults (anvil, Helia block store, SQLite), ANCHOR_INTERVAL_MS=${ANCHOR_INTERVAL_MS},
CONFIRMATIONS=1; client and service on the same machine (the client's CPU counts against the service).

| measure | result | first bar |
| --- | --- | --- |
| 100 KB uploads, concurrency 1 | ${round(c1.perSecond)} uploads/s; p50 ${round(c1.p50)} ms, p99 ${round(c1.p99)} ms (${c1.total} uploads) | |
| 100 KB uploads, concurrency 16 | ${round(c16.perSecond)} uploads/s; p50 ${round(c16.p50)} ms, p99 ${round(c16.p99)} ms (${c16.total} uploads) | ≥ 300 uploads/s |
| 5 MB files | ${round(five.mbPerSecond)} MB/s | |
| 50 MB files | ${round(fifty.mbPerSecond)} MB/s | ≥ 150 MB/s |
| \`sha256sum\`, same 50 MB | ${round(sha256sum)} MB/s | |
| \`openssl dgst -sha256\`, same 50 MB | ${round(openssl)} MB/s | |
| Node's SHA-256 (one pass, in memory), same 50 MB | ${round(nodeHash)} MB/s | |
| **50 MB ingest ÷ sha256sum** | **${round(fifty.mbPerSecond / sha256sum, 2)}** | |
| 50 MB ingest ÷ openssl | ${round(fifty.mbPerSecond / openssl, 2)} | |
| time from 201 to receipt (${receipt.count} items at 20/s) | p50 ${round(receipt.p50 / 1000, 2)} s, p99 ${round(receipt.p99 / 1000, 2)} s | p99 ≤ ${(ANCHOR_INTERVAL_MS + 3000) / 1000} s |
| peak RSS, 100 KB uploads | ${round(rssSmall / MiB)} MB | |
| peak RSS while ingesting 50 MB files | ${round(rssLarge / MiB)} MB | ≤ 300 MB |
| peak RSS, whole run | ${round(rssOverall / MiB)} MB | |
${snapshotRows(snapshots)}
${webhookRows(webhooks)}
${captureRows(captures)}

The index on PostgreSQL 15 (a local server, default settings, on the same machine), an external anvil, one block
store folder shared by the instances (\`IPFS_BLOCKSTORE_SHARED\`), same 100 KB files and load:

| measure | SQLite, 1 instance (above) | PostgreSQL, 1 instance | PostgreSQL, 3 instances |
| --- | --- | --- | --- |
| 100 KB uploads, concurrency 16 | ${round(c16.perSecond)} uploads/s; p50 ${round(c16.p50)} ms, p99 ${round(c16.p99)} ms | ${round(pg.one.perSecond)} uploads/s; p50 ${round(pg.one.p50)} ms, p99 ${round(pg.one.p99)} ms | ${round(pg.three.perSecond)} uploads/s; p50 ${round(pg.three.p50)} ms, p99 ${round(pg.three.p99)} ms |
| time from 201 to receipt (100 items at 20/s) | p50 ${round(receipt.p50 / 1000, 2)} s, p99 ${round(receipt.p99 / 1000, 2)} s | p50 ${round(pg.oneReceipt.p50 / 1000, 2)} s, p99 ${round(pg.oneReceipt.p99 / 1000, 2)} s | p50 ${round(pg.threeReceipt.p50 / 1000, 2)} s, p99 ${round(pg.threeReceipt.p99 / 1000, 2)} s |

Gas per item (one \`anchor(root)\` per batch, measured on anvil; one transaction per item costs the batch-of-1 figure for every item):

| batch size | gas for the batch | gas per item | one transaction per item |
| --- | --- | --- | --- |
${gas.map((g) => `| ${g.batch} | ${g.gas} | ${round(g.perItem, 2)} | ${g.oneTxPerItem} |`).join("\n")}
`;
  console.log(report);
  if (process.argv.includes("--write")) {
    const doc = readFileSync("docs/benchmarks.md", "utf8");
    const marker = "<!-- results -->";
    writeFileSync("docs/benchmarks.md", doc.slice(0, doc.indexOf(marker) + marker.length) + "\n\n" + report);
    console.error("bench: wrote docs/benchmarks.md");
  }
} finally {
  rss.stop();
  if (service.child.exitCode === null && service.child.signalCode === null) await service.stop();
  await market.close();
  rmSync(work, { recursive: true, force: true });
}
