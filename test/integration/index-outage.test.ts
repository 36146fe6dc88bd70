/**
 * The PostgreSQL index goes down (killed with -9) under a running instance: requests that need it answer
 * 503 INDEX_UNAVAILABLE with Retry-After within DATABASE_TIMEOUT_MS, /readyz names the index, nothing
 * accepted before is lost, and once the server is back the instance works on without a restart.
 */
import { expect } from "chai";
import { join } from "node:path";
import { Wallet } from "ethers";
import { ANVIL_DEV_PRIVATE_KEY, startAnvil, type AnvilChain } from "../../src/adapters/chain/anvil.ts";
import { registryArtifact } from "../../src/adapters/chain/artifact.ts";
import { deployRegistry } from "../../src/adapters/chain/deployment.ts";
import { rpcProvider } from "../../src/adapters/chain/provider.ts";
import { startPostgres, type PostgresServer } from "../helpers/postgres.ts";
import { client, fileForm, startTestService, waitForAnchored, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;

describe("a PostgreSQL index that goes down and comes back", function () {
  this.timeout(120_000);
  const dir = tempDir("index-outage-");
  let postgres: PostgresServer;
  let chain: AnvilChain;
  let service: TestService;

  before(async () => {
    postgres = await startPostgres();
    chain = await startAnvil({ stateDir: join(dir.path, "chain"), port: 0 });
    const provider = rpcProvider(chain.rpcUrl);
    const { address } = await deployRegistry(new Wallet(ANVIL_DEV_PRIVATE_KEY, provider), registryArtifact, { network: "x" });
    provider.destroy();
    service = await startTestService(join(dir.path, "data"), {
      DATABASE_URL: postgres.url,
      DATABASE_TIMEOUT_MS: "2000",
      CHAIN_RPC_URL: chain.rpcUrl,
      ANCHOR_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEY,
      REGISTRY_ADDRESS: address,
      IPFS_BLOCKSTORE_SHARED: "true",
    });
  });
  after(async () => {
    await service?.stop();
    await chain?.stop();
    await postgres?.stop();
    dir.remove();
  });

  it("answers 503 INDEX_UNAVAILABLE while it is down, loses nothing, and works again when it is back", async () => {
    const api = client(service.url);
    const before = (await (
      await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: Buffer.from("before the outage"), name: "b.txt" } }))
    ).json()) as Json;
    await waitForAnchored(api, before.id);

    await postgres.kill9();
    const started = Date.now();
    const refused = await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: Buffer.from("during the outage"), name: "d.txt" } }));
    const body = (await refused.json()) as Json;
    expect(refused.status, JSON.stringify(body)).to.equal(503);
    expect(body.code).to.equal("INDEX_UNAVAILABLE");
    expect(refused.headers.get("retry-after")).to.equal("30");
    expect(Date.now() - started).to.be.below(10_000);
    const read = await api.get(`/v1/evidence/${before.id}`);
    expect(read.status).to.equal(503); // the key cannot even be checked
    const ready = (await (await api.get("/readyz")).json()) as Json;
    expect(ready.unavailable).to.include("index");

    await postgres.restart();
    const back = await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: Buffer.from("after the outage"), name: "a.txt" } }));
    expect(back.status).to.equal(201);
    await waitForAnchored(api, ((await back.json()) as Json).id);
    expect(((await (await api.get(`/v1/evidence/${before.id}`)).json()) as Json).status).to.equal("anchored");
    expect((await api.get("/readyz")).status).to.equal(200);
  });
});
