/**
 * A chain that loses blocks. The embedded anvil killed with -9 right after anchors: it is restarted on
 * its own, and every receipt handed out before still verifies (a batch is recorded anchored only once
 * anvil has saved its block). An external chain that comes back without its last blocks: the lost
 * anchors are found by the re-check, their items anchored again, and their new receipts verify.
 */
import { expect } from "chai";
import { join } from "node:path";
import { Wallet } from "ethers";
import { ANVIL_DEV_PRIVATE_KEY, startAnvil, type AnvilChain } from "../../src/adapters/chain/anvil.ts";
import { registryArtifact } from "../../src/adapters/chain/artifact.ts";
import { deployRegistry } from "../../src/adapters/chain/deployment.ts";
import { rpcProvider } from "../../src/adapters/chain/provider.ts";
import { verifyIndependently } from "../helpers/independent-verifier.ts";
import { freePort } from "../helpers/ports.ts";
import { client, fileForm, startTestService, waitForAnchored, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;
const ANCHOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("a chain that loses its latest blocks", function () {
  this.timeout(120_000);
  const dir = tempDir("chain-loss-");
  after(() => dir.remove());

  describe("the embedded chain killed with -9 just after anchoring", () => {
    let service: TestService;
    before(async () => {
      service = await startTestService(join(dir.path, "embedded"));
    });
    after(() => service?.stop());

    it("comes back on its own, and every receipt handed out before the kill still verifies", async () => {
      const api = client(service.url);
      for (let round = 0; round < 4; round++) {
        const bytes = Buffer.from(`anchored just before the chain is killed, round ${round}`);
        const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: `k${round}.txt` } }))).json()) as Json;
        await waitForAnchored(api, up.id);
        const receipt = (await (await api.get(`/v1/evidence/${up.id}/receipt`)).json()) as Json;
        const pid = service.chain.embedded!.pid;
        process.kill(pid, "SIGKILL");
        await until(
          "the chain is restarted",
          async () => (service.chain.embedded!.pid !== pid && (await api.get("/readyz")).status === 200) || undefined,
        );
        await verifyIndependently(receipt, bytes, service.chain.rpcUrl);
        expect(((await (await api.get(`/v1/evidence/${up.id}`)).json()) as Json).status).to.equal("anchored");
      }
      const restarts = service.logLines().filter((l) => l.component === "anvil" && /^anvil restarted/.test(l.msg));
      expect(restarts).to.have.length(4);
    });
  });

  describe("an external chain that comes back without its last blocks", () => {
    it("queues the lost anchors' items again, says so loudly, and their new receipts verify", async () => {
      const port = await freePort();
      const deploy = async (chain: AnvilChain) => {
        const provider = rpcProvider(chain.rpcUrl);
        const record = await deployRegistry(new Wallet(ANVIL_DEV_PRIVATE_KEY, provider), registryArtifact, {
          network: "x",
          anchorer: new Wallet(ANCHOR_KEY).address,
        });
        provider.destroy();
        return record.address;
      };
      // A chain whose state is never saved: stopping it loses everything after the registry.
      let chain = await startAnvil({ stateDir: join(dir.path, "operator-1"), port });
      const registry = await deploy(chain);
      const service = await startTestService(join(dir.path, "external"), {
        CHAIN_RPC_URL: chain.rpcUrl,
        ANCHOR_PRIVATE_KEY: ANCHOR_KEY,
        REGISTRY_ADDRESS: registry,
        ANCHOR_RECHECK_INTERVAL_MS: "300",
      });
      try {
        const api = client(service.url);
        const bytes = Buffer.from("anchored on blocks the chain will lose");
        const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: "lost.txt" } }))).json()) as Json;
        await waitForAnchored(api, up.id);
        const before = (await (await api.get(`/v1/evidence/${up.id}/receipt`)).json()) as Json;

        await chain.stop();
        chain = await startAnvil({ stateDir: join(dir.path, "operator-2"), port }); // the same chain, minus the anchor
        expect(await deploy(chain)).to.equal(registry);

        // The re-check finds the anchor gone, and the item is anchored again, in another block. (The
        // transaction may be byte for byte the same: same key, nonce and root on a chain at the same height.)
        const again = await until("the item is anchored again", async () => {
          const r = (await (await api.get(`/v1/evidence/${up.id}/receipt`)).json()) as Json;
          return r.anchor && r.anchor.blockHash !== before.anchor.blockHash ? r : undefined;
        });
        await verifyIndependently(again, bytes, chain.rpcUrl);
        let oldStillVerifies = true;
        await verifyIndependently(before, bytes, chain.rpcUrl).catch(() => (oldStillVerifies = false));
        expect(oldStillVerifies, "the receipt from before the loss no longer verifies").to.equal(false);
        const lost = service.logLines().filter((l) => l.level === 50 && /^ANCHOR LOST/.test(l.msg));
        expect(lost.map((l) => l.root)).to.deep.equal([before.merkle.root]);
      } finally {
        await service.stop();
        await chain.stop();
      }
    });
  });
});
