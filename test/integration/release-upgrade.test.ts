/**
 * Users of the first release keep what they have: its data folder (test/fixtures/release-0.1.0) starts
 * under this release and serves the same receipts in the current format (evidence-receipt/v2: the same
 * facts, the registry's version 1 named, no time-stamps), and the v1 receipts users saved still verify;
 * and the same index copied into PostgreSQL (npm run migrate-to-postgres) serves them too, for a user
 * who grows out of one machine.
 */
import { expect } from "chai";
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ANVIL_DEV_PRIVATE_KEY, startAnvil } from "../../src/adapters/chain/anvil.ts";
import { migrateToPostgres } from "../../scripts/migrate-to-postgres.ts";
import { openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import { jsonRpcChainReader } from "../../src/adapters/chain/chain-reader.ts";
import { fileFacts } from "../../src/domain/content-id.ts";
import { verifyCustodyLog } from "../../src/domain/custody-verification.ts";
import { parseReceipt } from "../../src/domain/receipt-schema.ts";
import type { EvidenceReceipt } from "../../src/domain/receipt.ts";
import { verifyReceipt } from "../../src/use-cases/verify-receipt.ts";
import { verifyIndependently } from "../helpers/independent-verifier.ts";
import { startPostgres } from "../helpers/postgres.ts";
import { client, startTestService, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;
const FIXTURE = new URL("../fixtures/release-0.1.0/", import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(FIXTURE, "expected.json"), "utf8")) as {
  receipts: Record<string, Json>;
  captures: Json[];
  adminKey: string;
};

async function servesTheSameReceipts(service: TestService, rpcUrl: string) {
  const api = client(service.url, expected.adminKey);
  for (const [id, saved] of Object.entries(expected.receipts)) {
    const served = (await (await api.get(`/v1/evidence/${id}/receipt`)).json()) as Json;
    expect(served, id).to.deep.equal({
      ...saved,
      version: "evidence-receipt/v2",
      anchor: { ...saved.anchor, registryVersion: "1" },
      timestamps: [],
      timestampsPending: [],
    });
    const content = Buffer.from(await (await api.get(`/v1/evidence/${id}/content`)).arrayBuffer());
    // The first release deployed a version-1 registry (no VERSION, no verifyItem): its receipts still verify.
    expect((await verifyIndependently(served, content, rpcUrl)).registryVersion, id).to.equal("1");
    // The receipt a user saved then, in the first format, verifies with this release's verifier.
    const chain = jsonRpcChainReader(rpcUrl);
    try {
      const result = await verifyReceipt({
        receipt: (parseReceipt(saved) as { receipt: EvidenceReceipt }).receipt,
        file: await fileFacts([content]),
        chains: [chain],
      });
      expect(
        result.checks.filter((c) => c.status !== "pass").map((c) => c.id),
        id,
      ).to.deep.equal(["chain.identity", "chain.finality"]);
      expect(result.verified, id).to.equal(true);
      expect(result.checks.find((c) => c.id === "chain.verify")!.detail).to.match(
        /with the leaf computed here from the item's hashes \(a version 1 registry\)$/,
      );
    } finally {
      chain.close();
    }
  }
  // The first release stored its ended captures as `completed`: they read as captured, and as anchored
  // once their manifest and artifacts are (all of these are), with the manifest's anchor.
  const captures = (await (await api.get("/v1/captures")).json()) as { items: Json[] };
  expect(expected.captures.map((c) => c.status)).to.deep.equal(["completed"]);
  expect(captures.items.map((c) => [c.id, c.status, c.links.manifest?.self, c.links.bundle, c.anchor])).to.deep.equal(
    expected.captures.map((c) => {
      const receipt = expected.receipts[c.manifest.evidenceId]!;
      const anchor = { ...receipt.anchor, registryVersion: "1", root: receipt.merkle.root };
      return [c.id, "anchored", c.links.manifest?.self, `/v1/captures/${c.id}/bundle`, anchor];
    }),
  );
  expect(captures.items[0]).not.to.have.property("browser"); // not stored by the first release
}

describe("a data folder of the first release", function () {
  this.timeout(120_000);
  const dir = tempDir("upgrade-");
  after(() => dir.remove());

  it("starts under this release and serves its receipts unchanged, and they verify", async () => {
    const data = join(dir.path, "data");
    cpSync(join(FIXTURE, "data-dir"), data, { recursive: true });
    const service = await startTestService(data);
    try {
      await servesTheSameReceipts(service, service.chain.rpcUrl);
      expect(Object.keys(expected.receipts)).to.have.length(8);
    } finally {
      await service.stop();
    }
  });

  it("copied into PostgreSQL (npm run migrate-to-postgres), serves the same receipts", async () => {
    const data = join(dir.path, "grown");
    cpSync(join(FIXTURE, "data-dir"), data, { recursive: true });
    const postgres = await startPostgres();
    const chain = await startAnvil({ stateDir: join(data, "chain"), port: 0 }); // the same chain, now run on its own
    const lines: string[] = [];
    try {
      // A read recorded in the custody log before the move: the log goes along, and goes on from its head.
      const embedded = await openSqliteIndex(join(data, "index.sqlite"));
      const moved = await embedded.custody.append({ at: new Date().toISOString(), accountId: "acc_x", route: "/v1/custody", status: 200 });
      await embedded.close();
      const copied = await migrateToPostgres(join(data, "index.sqlite"), postgres.url, (line) => lines.push(line));
      expect(copied).to.include({ accounts: 1, evidence: 8, captures: 1, custody_log: 1 });
      const registry = JSON.parse(readFileSync(join(data, "chain", "deployment.json"), "utf8")).address;
      const service = await startTestService(data, {
        DATABASE_URL: postgres.url,
        CHAIN_RPC_URL: chain.rpcUrl,
        ANCHOR_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEY,
        REGISTRY_ADDRESS: registry,
        IPFS_BLOCKSTORE_SHARED: "true",
      });
      try {
        await servesTheSameReceipts(service, chain.rpcUrl);
        const log = (await (await client(service.url, expected.adminKey).get("/v1/custody")).json()) as Json;
        expect(log.entries[0]).to.deep.include({ seq: 1, hash: moved.hash });
        // Then each item's receipt and content read, chained after it.
        expect(log.entries.slice(1).map((l: Json) => l.entry.route)).to.deep.equal(
          Object.keys(expected.receipts).flatMap(() => ["/v1/evidence/:id/receipt", "/v1/evidence/:id/content"]),
        );
        expect(verifyCustodyLog(log)).to.deep.include({ ok: true, problems: [] });
        const again = await migrateToPostgres(join(data, "index.sqlite"), postgres.url).catch((e: Error) => e.message);
        expect(again).to.equal("the target already holds accounts: migrate into an empty database");
      } finally {
        await service.stop();
      }
    } finally {
      await chain.stop();
      await postgres.stop();
    }
  });
});
