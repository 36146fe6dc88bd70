/**
 * Webhooks with two instances on one PostgreSQL index: both workers fan out and claim deliveries, and a
 * receiver still gets each event once (claims are taken with FOR UPDATE SKIP LOCKED, under a lease),
 * every message signed.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { Wallet } from "ethers";
import { ANVIL_DEV_PRIVATE_KEY, startAnvil, type AnvilChain } from "../../src/adapters/chain/anvil.ts";
import { registryArtifact } from "../../src/adapters/chain/artifact.ts";
import { deployRegistry } from "../../src/adapters/chain/deployment.ts";
import { rpcProvider } from "../../src/adapters/chain/provider.ts";
import { startPostgres, type PostgresServer } from "../helpers/postgres.ts";
import { client, fileForm, startTestService, waitForAnchored, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { eventually, webhookReceiver, type Receiver } from "../helpers/webhook-receiver.ts";

type Json = Record<string, any>;

describe("webhooks from two instances on one PostgreSQL index", function () {
  this.timeout(120_000);
  const dir = tempDir("webhooks-pg-");
  let postgres: PostgresServer;
  let chain: AnvilChain;
  let receiver: Receiver;
  const services: TestService[] = [];

  before(async () => {
    [postgres, receiver] = await Promise.all([startPostgres(), webhookReceiver([500, 200])]);
    chain = await startAnvil({ stateDir: join(dir.path, "chain"), port: 0 });
    const provider = rpcProvider(chain.rpcUrl);
    const { address } = await deployRegistry(new Wallet(ANVIL_DEV_PRIVATE_KEY, provider), registryArtifact, { network: "x" });
    provider.destroy();
    const env = {
      DATABASE_URL: postgres.url,
      CHAIN_RPC_URL: chain.rpcUrl,
      ANCHOR_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEY,
      REGISTRY_ADDRESS: address,
      IPFS_BLOCKSTORE_SHARED: "true",
      WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`,
      WEBHOOK_INTERVAL_MS: "20",
      WEBHOOK_RETRY_BASE_MS: "50",
      WEBHOOK_RETRY_MAX_MS: "100",
    };
    services.push(await startTestService(join(dir.path, "a"), env));
    services.push(await startTestService(join(dir.path, "b"), env));
  });
  after(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await chain?.stop();
    await postgres?.stop();
    await receiver?.close();
    dir.remove();
  });

  it("delivers each event once after its one failure, whichever instance attempts it", async () => {
    const [a, b] = services.map((s) => client(s.url));
    const webhook = (await (await a!.postJson("/v1/webhooks", { url: receiver.url, events: ["evidence.anchored"] })).json()) as Json;
    receiver.secret = webhook.secret;
    const ids: string[] = [];
    for (const [i, api] of [a, b, a, b, a, b].entries()) {
      const form = fileForm({}, { file: { bytes: randomBytes(64), name: `l${i}.png` } });
      ids.push(((await (await api!.postForm("/v1/evidence", form)).json()) as Json).id);
    }
    for (const id of ids) await waitForAnchored(a!, id);
    const items = await eventually(async () => {
      const listed = ((await (await b!.get(`/v1/webhooks/${webhook.id}/deliveries`)).json()) as Json).items as Json[];
      return listed.length === ids.length && listed.every((d) => d.state === "delivered") ? listed : undefined;
    });
    // The receiver answers 500 to the very first message only: one event is sent twice, every other once.
    expect(receiver.received.every((m) => m.verified === true)).to.equal(true);
    expect(receiver.received).to.have.length(ids.length + 1);
    expect(new Set(receiver.received.map((m) => m.body.data.id))).to.deep.equal(new Set(ids));
    expect(items.map((d) => d.attempts.length).sort()).to.deep.equal([1, 1, 1, 1, 1, 2]);
  });
});
