/** GET /metrics: what an operator's Prometheus scrapes, with the figures the service's own state gives. */
import { expect } from "chai";
import { join } from "node:path";
import { startFrozenServer } from "../helpers/frozen-server.ts";
import { freePort } from "../helpers/ports.ts";
import { client, fileForm, startTestService, waitForAnchored } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

/** The value of one sample line, e.g. `evidence_items{status="anchored"}`. */
function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe("GET /metrics", function () {
  this.timeout(60_000);
  const dir = tempDir("metrics-");
  after(() => dir.remove());

  it("counts requests by route template, the queue, batches and anchored items", async () => {
    const service = await startTestService(join(dir.path, "a"));
    try {
      const api = client(service.url);
      for (const name of ["one.txt", "two.txt"]) {
        const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: Buffer.from(name), name } }))).json()) as {
          id: string;
        };
        await waitForAnchored(api, up.id);
      }
      await api.get("/v1/evidence/ev_nope");
      const response = await fetch(`${service.url}/metrics`);
      expect(response.headers.get("content-type")).to.equal("text/plain; version=0.0.4; charset=utf-8");
      const text = await response.text();
      expect(sample(text, 'evidence_items{status="anchored"}')).to.equal(2);
      expect(sample(text, 'evidence_items{status="pending"}')).to.equal(0);
      expect(sample(text, "evidence_oldest_pending_age_seconds")).to.equal(0);
      expect(sample(text, 'anchor_batches{state="anchored"}')).to.equal(2);
      expect(sample(text, "anchored_items_total")).to.equal(2);
      expect(sample(text, 'http_requests_total{method="POST",route="/v1/evidence",status="201"}')).to.equal(2);
      expect(sample(text, 'http_requests_total{method="GET",route="/v1/evidence/:id",status="404"}')).to.equal(1);
      const polls = sample(text, 'http_requests_total{method="GET",route="/v1/evidence/:id",status="200"}')!;
      expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="/v1/evidence/:id"}')).to.equal(polls + 1);
      expect(sample(text, 'captures{status="queued"}')).to.equal(0);
      expect(text).to.include("process_resident_memory_bytes");
    } finally {
      await service.stop();
    }
  });

  it("counts the content store's failures by operation, and the 503s they caused", async () => {
    const frozen = await startFrozenServer();
    const service = await startTestService(join(dir.path, "b"), { IPFS_API_URL: frozen.url, STORE_TIMEOUT_MS: "300" });
    try {
      const api = client(service.url);
      await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: Buffer.from("x"), name: "x.txt" } }));
      await api.postJson("/v1/evidence/listing-snapshots", {
        url: "https://m.example/1",
        platform: "m",
        listingId: "1",
        title: "t",
        price: { amount: "1", currency: "USD" },
        seller: { id: "s" },
        capturedAt: "2026-11-20T08:30:00Z",
      });
      const text = await (await fetch(`${service.url}/metrics`)).text();
      expect(sample(text, 'store_errors_total{operation="add"}')).to.equal(2);
      expect(sample(text, 'http_requests_total{method="POST",route="/v1/evidence",status="503"}')).to.equal(1);
    } finally {
      await service.stop();
      await frozen.close();
    }
  });

  it("gives the age of the oldest item still waiting for its anchor (the chain is down)", async () => {
    const port = await freePort();
    const service = await startTestService(join(dir.path, "c"), {
      CHAIN_RPC_URL: `http://127.0.0.1:${port}`,
      ANCHOR_PRIVATE_KEY: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
      REGISTRY_ADDRESS: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    });
    try {
      const api = client(service.url);
      const up = (await (
        await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: Buffer.from("waits"), name: "w.txt" } }))
      ).json()) as { receivedAt: string };
      await new Promise((r) => setTimeout(r, 1200));
      const before = Date.now();
      const text = await (await fetch(`${service.url}/metrics`)).text();
      const after = Date.now();
      const age = sample(text, "evidence_oldest_pending_age_seconds")!;
      const received = Date.parse(up.receivedAt);
      expect(age).to.be.within((before - received) / 1000, (after - received) / 1000);
      expect(sample(text, 'evidence_items{status="pending"}')).to.equal(1);
    } finally {
      await service.stop();
    }
  });
});
