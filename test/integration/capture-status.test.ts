/**
 * A capture as a user follows it by polling GET /v1/captures/:id: queued → running → captured →
 * anchored, then the manifest's anchor, the receipts and the bundle; or failed with the reason. Real
 * Chromium, the embedded chain (a block a second) and the fixture marketplace on 127.0.0.1.
 */
import { expect } from "chai";
import { join } from "node:path";
import type { RunningService } from "../../src/main.ts";
import { startMarketplace, type Marketplace } from "../helpers/fixture-marketplace.ts";
import { client, startTestService, waitForAnchored, waitForCapture } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;

const links = (id: string) => ({
  self: `/v1/evidence/${id}`,
  receipt: `/v1/evidence/${id}/receipt`,
  content: `/v1/evidence/${id}/content`,
  certificate: `/v1/evidence/${id}/certificate.pdf`,
  bundle: `/v1/evidence/${id}/bundle`,
  custody: `/v1/evidence/${id}/custody`,
});

describe("a capture's status, as a user polling it sees it", function () {
  this.timeout(120_000);
  const dir = tempDir("capture-status-");
  let market: Marketplace;
  let service: RunningService;
  let api: ReturnType<typeof client>;

  before(async () => {
    market = await startMarketplace();
    service = await startTestService(join(dir.path, "data"), {
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
      CAPTURE_TIMEOUT_MS: "8000",
      // Two confirmations on a chain that mines a block a second: a captured capture waits at least a
      // block for its anchor, long enough for a poll every 20 ms to see it captured.
      CONFIRMATIONS: "2",
      ANCHOR_INTERVAL_MS: "1000",
    });
    api = client(service.url);
  });
  after(async () => {
    await service.stop();
    await market.close();
    dir.remove();
  });

  /** Every state the capture is seen in, in order, and its record when first seen in each. */
  async function follow(url: string, last: string) {
    const response = await api.postJson("/v1/captures", { url });
    const queued = (await response.json()) as Json;
    expect(response.status).to.equal(202);
    const seen: Json[] = [queued];
    const deadline = Date.now() + 60_000;
    while (seen.at(-1)!.status !== last && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      const body = (await (await api.get(`/v1/captures/${queued.id}`)).json()) as Json;
      if (body.status !== seen.at(-1)!.status) seen.push(body);
    }
    return seen;
  }

  it("goes queued → running → captured → anchored, then shows the manifest's anchor, the receipts and the bundle", async () => {
    const seen = await follow(`${market.origin}/item/8842`, "anchored");
    expect(seen.map((s) => s.status)).to.deep.equal(["queued", "running", "captured", "anchored"]);
    const [queued, running, captured, anchored] = seen as [Json, Json, Json, Json];
    const id = queued.id;
    expect(queued).to.deep.equal({
      id,
      status: "queued",
      url: `${market.origin}/item/8842`,
      device: "desktop",
      requestedAt: queued.requestedAt,
      links: { self: `/v1/captures/${id}` },
    });
    expect(running).not.to.have.any.keys("anchor", "manifest", "finishedAt");

    // Captured: the files and the manifest are stored, nothing is anchored yet.
    const manifestId = captured.manifest.evidenceId;
    expect(captured).not.to.have.property("anchor");
    expect(captured.links).to.deep.equal({ self: `/v1/captures/${id}`, manifest: links(manifestId) });
    const manifest = JSON.parse(await (await api.get(`/v1/evidence/${manifestId}/content`)).text()) as Json;
    expect(captured.browser).to.deep.equal({ name: "Chromium", version: manifest.browser.version });
    expect(captured.artifacts).to.deep.equal(
      manifest.artifacts.map((a: Json) => ({
        role: a.role,
        evidenceId: a.evidenceId,
        sha256: a.sha256,
        cid: a.cid,
        size: a.size,
        mediaType: a.mediaType,
        links: links(a.evidenceId),
      })),
    );

    // Anchored: the manifest's anchor, as its receipt states it; every artifact's receipt; the bundle.
    const receipt = (await (await api.get(anchored.links.manifest.receipt)).json()) as Json;
    expect(anchored.anchor).to.deep.equal({ ...receipt.anchor, root: receipt.merkle.root });
    expect(anchored.anchor.chainId).to.equal(31337);
    expect(anchored.anchor).to.deep.equal(((await (await api.get(`/v1/evidence/${manifestId}`)).json()) as Json).anchor);
    expect(anchored.links).to.deep.equal({ self: `/v1/captures/${id}`, manifest: links(manifestId), bundle: `/v1/captures/${id}/bundle` });
    for (const artifact of anchored.artifacts) {
      const served = await api.get(artifact.links.receipt);
      expect(served.status, artifact.role).to.equal(200);
      expect(((await served.json()) as Json).metadata.id, artifact.role).to.equal(artifact.evidenceId);
    }
    const bundle = await api.get(anchored.links.bundle);
    expect(bundle.status).to.equal(200);
    expect(bundle.headers.get("content-type")).to.equal("application/zip");
    // Everything else is as it was when captured, and the list shows the capture as GET /:id does.
    const { anchor: _, links: __, status: ___, ...rest } = anchored;
    expect(rest).to.deep.equal((({ links: _l, status: _s, ...r }) => r)(captured));
    const { items } = (await (await api.get("/v1/captures")).json()) as Json;
    expect(items.find((c: Json) => c.id === id)).to.deep.equal(anchored);
  });

  it("shows a failed capture as failed with the reason, and its anchor once its evidence of the failure is anchored", async () => {
    const seen = await follow(`${market.origin}/go/loopback`, "failed");
    const failed = seen.at(-1)!;
    expect(seen.map((s) => s.status)).to.deep.equal(["queued", "running", "failed"]);
    expect(failed.failureReason).to.equal(
      `refused: HTTP redirect to http://[::1]:${market.port}/item/8842: ::1 resolves to ::1, which is not a public address`,
    );
    expect(failed.httpStatus).to.equal(302);
    for (const a of failed.artifacts) await waitForAnchored(api, a.evidenceId);
    await waitForAnchored(api, failed.manifest.evidenceId);
    const later = await waitForCapture(api, failed.id);
    const receipt = (await (await api.get(later.links.manifest.receipt)).json()) as Json;
    expect(later.status).to.equal("failed");
    expect(later.failureReason).to.equal(failed.failureReason);
    expect(later.anchor).to.deep.equal({ ...receipt.anchor, root: receipt.merkle.root });
    expect(later.links.bundle).to.equal(`/v1/captures/${failed.id}/bundle`);
  });
});
