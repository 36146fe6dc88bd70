/**
 * Production mode: the service talks to an EVM JSON-RPC endpoint it does not own (here a separate
 * anvil). When that chain goes down, uploads are still accepted, /readyz says what is wrong, and the
 * pending items are anchored once the chain is back.
 */
import { expect } from "chai";
import { join } from "node:path";
import { Wallet } from "ethers";
import { ANVIL_DEV_PRIVATE_KEY, startAnvil, type AnvilChain } from "../../src/adapters/chain/anvil.ts";
import { registryArtifact } from "../../src/adapters/chain/artifact.ts";
import { deployRegistry } from "../../src/adapters/chain/deployment.ts";
import { rpcProvider } from "../../src/adapters/chain/provider.ts";
import { isAppError, Errors } from "../../src/errors.ts";
import type { RunningService } from "../../src/main.ts";
import { verifyIndependently } from "../helpers/independent-verifier.ts";
import { client, fileForm, startTestService, waitForAnchored } from "../helpers/service.ts";
import { freePort } from "../helpers/ports.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;

// A second anvil account: the operator's anchoring key, distinct from the deployer/admin.
const ANCHOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

describe("an external chain (CHAIN_RPC_URL)", function () {
  this.timeout(60_000);
  const dir = tempDir("external-");
  let chain: AnvilChain;
  let registry: string;
  let service: RunningService | undefined;

  before(async () => {
    chain = await startAnvil({ stateDir: join(dir.path, "operator-chain"), port: 0 });
    const provider = rpcProvider(chain.rpcUrl);
    const record = await deployRegistry(new Wallet(ANVIL_DEV_PRIVATE_KEY, provider), registryArtifact, {
      network: "external-test",
      anchorer: new Wallet(ANCHOR_KEY).address,
    });
    provider.destroy();
    registry = record.address;
  });
  after(async () => {
    await service?.stop();
    await chain.stop();
    dir.remove();
  });

  const env = () => ({ CHAIN_RPC_URL: chain.rpcUrl, ANCHOR_PRIVATE_KEY: ANCHOR_KEY, REGISTRY_ADDRESS: registry });

  it("refuses to start when REGISTRY_ADDRESS holds no contract", async () => {
    let error: unknown;
    await startTestService(join(dir.path, "bad"), { ...env(), REGISTRY_ADDRESS: "0x" + "12".repeat(20) }).catch((e) => (error = e));
    expect(isAppError(error, Errors.CONFIG_INVALID), String(error)).to.equal(true);
    expect(String(error)).to.match(/no contract at registry address/);
  });

  it("refuses to start when the anchoring key lacks the anchorer role, naming its account", async () => {
    let error: unknown;
    await startTestService(join(dir.path, "norole"), { ...env(), ANCHOR_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEY }).catch((e) => (error = e));
    expect(isAppError(error, Errors.CONFIG_INVALID), String(error)).to.equal(true);
    expect(String(error)).to.include(new Wallet(ANVIL_DEV_PRIVATE_KEY).address).and.to.include("ANCHORER_ROLE");
  });

  it("starts while the chain is down: accepts uploads, names the chain on /readyz, anchors once it answers", async () => {
    const port = await freePort();
    const down = await startTestService(join(dir.path, "down"), { ...env(), CHAIN_RPC_URL: `http://127.0.0.1:${port}` });
    let late: AnvilChain | undefined;
    try {
      const api = client(down.url);
      const bytes = Buffer.from("uploaded before the chain was ever reached");
      const response = await api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: "early.txt" } }));
      expect(response.status).to.equal(201);
      const up = (await response.json()) as Json;
      const ready = await api.get("/readyz");
      const body = (await ready.json()) as Json;
      expect(ready.status).to.equal(503);
      expect(body.unavailable).to.include("chain");
      expect(body.checks.chain.error).to.match(/^The chain is unavailable: CHAIN_RPC_URL does not answer eth_chainId/);
      expect(
        down
          .logLines()
          .some((l) => l.level === 40 && l.msg === "the chain does not answer; starting without it, and anchoring once it does"),
      ).to.equal(true);

      // The operator's chain comes up, with the registry at the address the service was given.
      late = await startAnvil({ stateDir: join(dir.path, "late-chain"), port });
      const provider = rpcProvider(late.rpcUrl);
      const record = await deployRegistry(new Wallet(ANVIL_DEV_PRIVATE_KEY, provider), registryArtifact, {
        network: "late",
        anchorer: new Wallet(ANCHOR_KEY).address,
      });
      provider.destroy();
      expect(record.address).to.equal(registry); // the same deployer and nonce: the same address
      const anchored = await waitForAnchored(api, up.id, 30_000);
      expect(anchored.status).to.equal("anchored");
      await verifyIndependently((await (await api.get(`/v1/evidence/${up.id}/receipt`)).json()) as Json, bytes, late.rpcUrl);
      expect((await api.get("/readyz")).status).to.equal(200);
    } finally {
      await down.stop();
      await late?.stop();
    }
  });

  it("anchors with the operator's key on the operator's registry", async () => {
    service = await startTestService(join(dir.path, "svc"), env());
    const api = client(service.url);
    const bytes = Buffer.from("evidence for an external chain");
    const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: "x.txt" } }))).json()) as Json;
    await waitForAnchored(api, up.id);
    const receipt = (await (await api.get(`/v1/evidence/${up.id}/receipt`)).json()) as Json;
    expect(receipt.anchor.registry).to.equal(registry);
    await verifyIndependently(receipt, bytes, chain.rpcUrl);
  });

  it("accepts uploads while the chain is down, reports it on /readyz, and anchors them when it is back", async () => {
    const api = client(service!.url);
    const port = Number(new URL(chain.rpcUrl).port);
    await chain.stop();

    const bytes = Buffer.from("uploaded during an outage");
    const response = await api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: "o.txt" } }));
    expect(response.status).to.equal(201);
    const up = (await response.json()) as Json;

    let ready: Json = {};
    for (let i = 0; i < 50 && !(ready.unavailable ?? []).includes("anchoring"); i++) {
      const r = await api.get("/readyz");
      expect(r.status).to.equal(503);
      ready = (await r.json()) as Json;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(ready.status).to.equal("unavailable");
    expect(ready.unavailable).to.include.members(["chain", "anchoring"]);
    expect(ready.checks.chain.error).to.be.a("string");
    expect(ready.queue.pending).to.be.at.least(1);
    expect(((await (await api.get(`/v1/evidence/${up.id}`)).json()) as Json).status).to.equal("pending");

    chain = await startAnvil({ stateDir: join(dir.path, "operator-chain"), port });
    const anchored = await waitForAnchored(api, up.id, 30_000);
    expect(anchored.status).to.equal("anchored");
    expect((await api.get("/readyz")).status).to.equal(200);
    const receipt = (await (await api.get(`/v1/evidence/${up.id}/receipt`)).json()) as Json;
    await verifyIndependently(receipt, bytes, chain.rpcUrl);
  });
});
