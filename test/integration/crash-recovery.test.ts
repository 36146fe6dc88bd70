/**
 * kill -9 at the worst moments, then start again: every accepted item ends up anchored exactly once,
 * and nothing that was not accepted leaves a trace. The service runs as its own process here.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Contract, Interface, Wallet } from "ethers";
import { ANVIL_DEV_PRIVATE_KEY } from "../../src/adapters/chain/anvil.ts";
import { registryArtifact } from "../../src/adapters/chain/artifact.ts";
import { rpcProvider } from "../../src/adapters/chain/provider.ts";
import { verifyIndependently } from "../helpers/independent-verifier.ts";
import { client, fileForm, waitForAnchored } from "../helpers/service.ts";
import { spawnService, type ServiceProcess } from "../helpers/service-process.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;

function isRunning(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean | Promise<boolean>, ms = 20_000, every = 10) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, every));
  }
}

/** What the chain says: every RootAnchored event, and how many transactions the anchorer ever sent. */
async function chainFacts(rpcUrl: string, registry: string) {
  const provider = rpcProvider(rpcUrl);
  const contract = new Contract(registry, registryArtifact.abi, provider);
  const events = await contract.queryFilter(contract.filters.RootAnchored!(), 0, "latest");
  const iface = new Interface(registryArtifact.abi);
  const roots = events.map((e) => iface.parseLog(e)!.args.root as string);
  const sent = await provider.getTransactionCount(new Wallet(ANVIL_DEV_PRIVATE_KEY).address, "latest");
  provider.destroy();
  return { roots, sent };
}

function indexFacts(dataDir: string) {
  const db = new DatabaseSync(join(dataDir, "index.sqlite"), { readOnly: true });
  const items = db.prepare("SELECT id, status, batch_id FROM evidence").all() as { id: string; status: string; batch_id: string }[];
  const batches = db.prepare("SELECT id, root, state FROM batches").all() as { id: string; root: string; state: string }[];
  db.close();
  return { items, batches };
}

async function upload(api: ReturnType<typeof client>, n: number): Promise<{ id: string; bytes: Buffer }[]> {
  const accepted: { id: string; bytes: Buffer }[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = randomBytes(2000 + i);
    const response = await api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: `f${i}.bin` } }));
    expect(response.status).to.equal(201);
    accepted.push({ id: ((await response.json()) as Json).id, bytes });
  }
  return accepted;
}

/** Every accepted item anchored, each in one batch, each batch's root anchored by one transaction. */
async function expectAnchoredExactlyOnce(service: ServiceProcess, dataDir: string, accepted: { id: string; bytes: Buffer }[]) {
  const api = client(service.url);
  for (const item of accepted) {
    expect((await waitForAnchored(api, item.id)).status).to.equal("anchored");
  }
  const { items, batches } = indexFacts(dataDir);
  expect(items.map((i) => i.id).sort()).to.deep.equal(accepted.map((a) => a.id).sort());
  const anchoredBatches = batches.filter((b) => b.state === "anchored");
  const { roots, sent } = await chainFacts(service.rpcUrl, service.registry);
  expect(roots.slice().sort()).to.deep.equal(anchoredBatches.map((b) => b.root).sort());
  expect(new Set(roots).size).to.equal(roots.length);
  expect(sent, "one deployment and one transaction per batch, no resend").to.equal(1 + anchoredBatches.length);
  const sample = accepted[accepted.length - 1]!;
  const receipt = (await (await api.get(`/v1/evidence/${sample.id}/receipt`)).json()) as Json;
  await verifyIndependently(receipt, sample.bytes, service.rpcUrl);
}

describe("crash recovery (kill -9, then start again)", function () {
  this.timeout(120_000);
  const dirs: ReturnType<typeof tempDir>[] = [];
  const running: ServiceProcess[] = [];
  afterEach(async () => {
    const alive = running.splice(0).filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    await Promise.all(alive.map((s) => s.stop()));
  });
  after(() => {
    for (const d of dirs) d.remove();
  });

  async function start(dataDir: string, env: Record<string, string> = {}) {
    const service = await spawnService(dataDir, env);
    running.push(service);
    return service;
  }

  it("right after the 201s, before any batch: all accepted items are anchored after the restart", async () => {
    const dir = tempDir("crash-201-");
    dirs.push(dir);
    const first = await start(dir.path, { ANCHOR_INTERVAL_MS: "600000" }); // the worker will not run again
    const accepted = await upload(client(first.url), 12);
    const anvil = first.anvilPid();
    await first.kill9();
    await until(() => !isRunning(anvil)); // the chain does not outlive its parent

    const second = await start(dir.path);
    await expectAnchoredExactlyOnce(second, dir.path, accepted);
  });

  it("after the anchor transaction was sent, before its confirmations: it is found, not sent again", async () => {
    const dir = tempDir("crash-sent-");
    dirs.push(dir);
    // Three confirmations on the embedded chain: it mines a block a second, which leaves a window.
    const env = { CONFIRMATIONS: "3", ANCHOR_INTERVAL_MS: "100" };
    const first = await start(dir.path, env);
    const accepted = await upload(client(first.url), 8);
    await until(() => indexFacts(dir.path).batches.some((b) => b.state === "sent"), 20_000, 5);
    await first.kill9();
    const { items } = indexFacts(dir.path);
    expect(items.filter((i) => i.status === "anchored").length, "killed before the confirmations").to.be.lessThan(accepted.length);

    const second = await start(dir.path, env);
    await expectAnchoredExactlyOnce(second, dir.path, accepted);
  });

  it("in the middle of uploads: what was answered 201 is kept, what was cut short leaves nothing", async () => {
    const dir = tempDir("crash-upload-");
    dirs.push(dir);
    const first = await start(dir.path, { ANCHOR_INTERVAL_MS: "600000" });
    const api = client(first.url);
    const accepted = await upload(api, 3);
    // A large upload in flight when the process dies: some of its blocks are on disk already.
    const blocks = () => readdirSync(join(dir.path, "ipfs"), { recursive: true }).length;
    const before = blocks();
    const big = api
      .postForm("/v1/evidence", fileForm({}, { file: { bytes: randomBytes(40 * 1024 * 1024), name: "big.bin" } }))
      .catch((e) => e);
    await until(() => blocks() > before + 4, 10_000, 2);
    await first.kill9();
    expect(await big).to.be.instanceOf(Error);

    const second = await start(dir.path);
    await expectAnchoredExactlyOnce(second, dir.path, accepted); // and no record of the cut-short upload
  });

  it("a clean stop (SIGTERM) lets an upload in flight finish and be kept", async () => {
    const dir = tempDir("stop-inflight-");
    dirs.push(dir);
    const first = await start(dir.path);
    const api = client(first.url);
    const bytes = randomBytes(30 * 1024 * 1024);
    const blocks = () => readdirSync(join(dir.path, "ipfs"), { recursive: true }).length;
    const before = blocks();
    const inFlight = api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: "slow.bin" } }));
    await until(() => blocks() > before + 2, 10_000, 2);
    const stopped = first.stop();
    const response = await inFlight;
    expect(response.status).to.equal(201);
    const { id } = (await response.json()) as Json;
    expect(await stopped).to.equal(0);

    const second = await start(dir.path);
    await expectAnchoredExactlyOnce(second, dir.path, [{ id, bytes }]);
  });

  it("a clean stop (SIGTERM) exits 0 and leaves no chain running", async () => {
    const dir = tempDir("stop-");
    dirs.push(dir);
    const service = await start(dir.path);
    const anvil = service.anvilPid();
    expect(isRunning(anvil)).to.equal(true);
    expect(await service.stop()).to.equal(0);
    expect(isRunning(anvil)).to.equal(false);
    expect(service.output()).to.include('"stopped"');
  });
});
