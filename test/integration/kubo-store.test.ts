/**
 * The Kubo adapter against a real IPFS node serving Kubo's RPC API (the js-ipfs daemon of
 * test/helpers/kubo-peer.ts, installed on first use): the embedded store's CIDs, pins, CAR export; then
 * the whole service with IPFS_API_URL, including a node that stops answering and a client that hangs up.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CarReader } from "@ipld/car";
import { exporter } from "ipfs-unixfs-exporter";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { HeliaContentStore } from "../../src/adapters/helia/helia-store.ts";
import { KuboContentStore } from "../../src/adapters/kubo/kubo-store.ts";
import { KUBO_CIDS } from "../fixtures/kubo-cids.ts";
import { cidOf } from "../helpers/independent-verifier.ts";
import { KUBO_PEER_INSTALL_TIMEOUT_MS, startKuboPeer, type KuboPeer } from "../helpers/kubo-peer.ts";
import { ADMIN_KEY, client, fileForm, startTestService, waitForAnchored, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;

async function* chunked(bytes: Uint8Array, size = 65_536) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
async function collect(source: AsyncIterable<Uint8Array>) {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}
/** The node's recursive pins, from its own CLI. */
async function pins(peer: KuboPeer): Promise<string[]> {
  return (await peer.cli(["pin", "ls", "--type=recursive", "--quiet", "--cid-base=base32"])).split("\n").filter(Boolean);
}
async function until(what: string, timeoutMs: number, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe("KuboContentStore on a real node (Kubo's RPC API)", function () {
  this.timeout(60_000);
  const dir = tempDir("kubo-store-");
  let peer: KuboPeer;
  let kubo: KuboContentStore;
  let helia: HeliaContentStore;
  const random = randomBytes(700_000);
  const files = { empty: Buffer.alloc(0), hello: Buffer.from("hello world\n"), zeros: Buffer.alloc(1024 * 1024), random };
  const cids: Record<keyof typeof files, string> = { empty: "", hello: "", zeros: "", random: "" };

  before(async function () {
    this.timeout(KUBO_PEER_INSTALL_TIMEOUT_MS + 60_000); // the first test to need the peer installs it
    peer = await startKuboPeer();
    kubo = await KuboContentStore.connect(peer.apiUrl);
    helia = await HeliaContentStore.open(join(dir.path, "helia"));
    for (const name of Object.keys(files) as (keyof typeof files)[]) cids[name] = await kubo.add(chunked(files[name]));
  });
  after(async () => {
    await peer?.stop();
    await helia?.close();
    dir.remove();
  });

  it("gives Kubo's CIDs, the embedded store's: empty, 'hello world\\n', 1 MiB of zeros, 700,000 random bytes", async () => {
    expect(cids.empty).to.equal(KUBO_CIDS.empty);
    expect(cids.hello).to.equal(KUBO_CIDS.helloWorld);
    expect(cids.zeros).to.equal(KUBO_CIDS.oneMiBOfZeros);
    expect(cids.random).to.equal(await helia.add(chunked(random)));
    expect(await kubo.addBytes(files.hello)).to.equal(KUBO_CIDS.helloWorld);
    for (const name of ["empty", "hello", "zeros"] as const) expect(await helia.add(chunked(files[name])), name).to.equal(cids[name]);
  });

  it("pins what it adds (the node's `pin ls`), and unpins on request, twice without complaint", async () => {
    const added = Object.values(cids).sort(); // the repo started empty: these are all its pins
    expect((await pins(peer)).sort()).to.deep.equal(added);
    const cid = await kubo.addBytes(Buffer.from("content that will be released"));
    expect((await pins(peer)).sort()).to.deep.equal([...added, cid].sort());
    await kubo.unpin(cid);
    await kubo.unpin(cid); // the node's "not pinned" answer counts as done
    expect((await pins(peer)).sort()).to.deep.equal(added);
  });

  it("gives the bytes back", async () => {
    for (const name of Object.keys(files) as (keyof typeof files)[])
      expect((await collect(kubo.cat(cids[name]))).equals(files[name]), name).to.equal(true);
  });

  it("exports a CAR rooted at the CID whose blocks re-hash to their CIDs, each block once, and give the file back", async () => {
    for (const [name, blockCount] of [
      ["random", 4],
      ["zeros", 2],
      ["hello", 1],
      ["empty", 1],
    ] as const) {
      const car = await CarReader.fromBytes(await collect(kubo.car(cids[name])));
      expect((await car.getRoots()).map(String), name).to.deep.equal([cids[name]]);
      const blocks = new Map<string, Uint8Array>();
      for await (const { cid, bytes } of car.blocks()) {
        expect(
          Buffer.from((await sha256.digest(bytes)).digest).equals(Buffer.from(cid.multihash.digest)),
          `${name}: block ${cid}`,
        ).to.equal(true);
        expect(blocks.has(cid.toString()), `${name}: block ${cid} repeated`).to.equal(false);
        blocks.set(cid.toString(), bytes);
      }
      expect(blocks.size, name).to.equal(blockCount); // 700,000 bytes: three leaves and their parent; 1 MiB of zeros: one leaf and the root
      const blockstore = {
        get: async function* (cid: CID) {
          yield blocks.get(cid.toString())!;
        },
      };
      const entry = (await exporter(CID.parse(cids[name]), blockstore as never)) as { content(): AsyncIterable<Uint8Array> };
      expect((await collect(entry.content())).equals(files[name]), name).to.equal(true);
      // the same blocks, in the same order, as the embedded store's export
      const embedded = await CarReader.fromBytes(await collect(helia.car(await helia.add(chunked(files[name])))));
      const embeddedOrder: string[] = [];
      for await (const { cid } of embedded.blocks()) embeddedOrder.push(cid.toString());
      expect([...blocks.keys()], name).to.deep.equal(embeddedOrder);
    }
  });

  it("listens on loopback only, on the API, gateway and gRPC ports, and talks to nothing else", () => {
    const sockets = peer.sockets();
    expect(sockets.filter((s) => s.protocol.startsWith("udp"))).to.deep.equal([]);
    expect(sockets.filter((s) => s.state === "LISTEN").map((s) => s.local.address)).to.deep.equal(["127.0.0.1", "127.0.0.1", "127.0.0.1"]);
    expect(
      sockets.filter((s) => s.local.address !== "127.0.0.1" || (s.state !== "LISTEN" && s.remote.address !== "127.0.0.1")),
    ).to.deep.equal([]);
  });
});

describe("the service on a Kubo node (IPFS_API_URL)", function () {
  this.timeout(60_000);
  const dir = tempDir("kubo-service-");
  let peer: KuboPeer;
  let service: TestService;
  let api: ReturnType<typeof client>;

  before(async function () {
    this.timeout(KUBO_PEER_INSTALL_TIMEOUT_MS + 60_000);
    peer = await startKuboPeer();
    service = await startTestService(join(dir.path, "data"), { IPFS_API_URL: peer.apiUrl, CONTENT_RELEASE_DELAY_MS: "0" });
    api = client(service.url);
  });
  after(async () => {
    await service?.stop();
    await peer?.stop();
    dir.remove();
  });

  it("stores an upload on the node, pinned, anchors it, and serves its bytes back", async () => {
    const bytes = randomBytes(300_000);
    const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: "exhibit.bin" } }))).json()) as Json;
    expect(up.cid).to.equal(await cidOf(bytes));
    expect((await waitForAnchored(api, up.id)).status).to.equal("anchored");
    const content = await api.get(`/v1/evidence/${up.id}/content`);
    expect(content.status).to.equal(200);
    expect(Buffer.from(await content.arrayBuffer()).equals(bytes)).to.equal(true);
    expect(await pins(peer)).to.include(up.cid);
  });

  it("unpins a refused upload's content within seconds, and keeps bytes a stored record also uses", async () => {
    const kept = randomBytes(50_000);
    const refusedOnly = randomBytes(50_000);
    const [keptCid, refusedCid] = [await cidOf(kept), await cidOf(refusedOnly)];
    const stored = await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: kept, name: "a.bin" } }));
    expect(stored.status).to.equal(201);
    for (const bytes of [kept, refusedOnly]) {
      const refused = await api.postForm("/v1/evidence", fileForm({ kind: "affidavit" }, { file: { bytes, name: "b.bin" } }));
      expect(refused.status).to.equal(400);
      expect(((await refused.json()) as Json).code).to.equal("INVALID_REQUEST");
    }
    const released = () =>
      service.logLines().flatMap((line) => (line.msg === "content of refused uploads released" ? (line.released as string[]) : []));
    await until("the refused upload's content released", 10_000, () => released().includes(refusedCid));
    expect(released()).to.deep.equal([refusedCid]);
    const pinned = await pins(peer);
    expect(pinned).to.include(keptCid);
    expect(pinned).to.not.include(refusedCid);
  });
});

describe("the service on a Kubo node that stops answering (SIGSTOP)", function () {
  this.timeout(90_000);
  const dir = tempDir("kubo-frozen-");
  let peer: KuboPeer;

  before(async function () {
    this.timeout(KUBO_PEER_INSTALL_TIMEOUT_MS + 60_000);
    peer = await startKuboPeer();
  });
  afterEach(() => peer.thaw());
  /** The node has read all that was sent to it, and is done with every request whose client left. */
  const nodeCaughtUp = () => peer.apiConnections().every((c) => c.unread === 0 && c.state !== "CLOSE_WAIT");
  after(async () => {
    await peer?.stop();
    dir.remove();
  });

  it("answers uploads and reads 503 STORE_UNAVAILABLE within STORE_TIMEOUT_MS, names `ipfs` on /readyz, and recovers on thaw", async () => {
    const service = await startTestService(join(dir.path, "deadline"), { IPFS_API_URL: peer.apiUrl, STORE_TIMEOUT_MS: "1000" });
    try {
      const api = client(service.url);
      const bytes = randomBytes(100_000);
      const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: "before.bin" } }))).json()) as Json;
      await waitForAnchored(api, up.id);

      peer.freeze();
      const givenUp = randomBytes(100_000);
      for (const request of [
        () => api.postForm("/v1/evidence", fileForm({}, { file: { bytes: givenUp, name: "during.bin" } })),
        () => api.get(`/v1/evidence/${up.id}/content`),
      ]) {
        const started = Date.now();
        const response = await request();
        const body = (await response.json()) as Json;
        expect(response.status, JSON.stringify(body)).to.equal(503);
        expect(body.code).to.equal("STORE_UNAVAILABLE");
        expect(body.detail).to.match(/^The content store is unavailable: no answer within 1000 ms while /);
        expect(response.headers.get("retry-after")).to.equal("30");
        expect(Date.now() - started, "answered at the deadline").to.be.within(1000, 2500);
      }
      const ready = await api.get("/readyz");
      expect(ready.status).to.equal(503);
      expect(((await ready.json()) as Json).unavailable).to.deep.equal(["ipfs"]);
      expect(((await (await api.get("/v1/evidence")).json()) as Json).items.map((i: Json) => i.id)).to.deep.equal([up.id]);

      peer.thaw();
      expect((await api.get("/readyz")).status).to.equal(200);
      // The node may still finish, from its socket buffer, the add the service gave up on: not pinned.
      await until("the node caught up", 10_000, nodeCaughtUp);
      expect(await pins(peer)).to.not.include(await cidOf(givenUp));
      const after = randomBytes(100_000);
      const again = await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: after, name: "after.bin" } }));
      expect(again.status).to.equal(201);
      const content = await api.get(`/v1/evidence/${up.id}/content`);
      expect(content.status).to.equal(200);
      expect(Buffer.from(await content.arrayBuffer()).equals(bytes)).to.equal(true);
    } finally {
      await service.stop();
    }
  });

  it("commits nothing for a client that hangs up while its upload waits on the frozen node", async () => {
    // A deadline far away: only the client's hang-up can end this upload.
    const service = await startTestService(join(dir.path, "abort"), { IPFS_API_URL: peer.apiUrl, STORE_TIMEOUT_MS: "60000" });
    try {
      const api = client(service.url);
      const before = ((await (await api.get("/v1/evidence")).json()) as Json).items;
      peer.freeze();
      const abandoned = randomBytes(100_000);
      const hangUp = new AbortController();
      const upload = fetch(`${service.url}/v1/evidence`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
        body: fileForm({}, { file: { bytes: abandoned, name: "abandoned.bin" } }),
        signal: hangUp.signal,
      });
      upload.catch(() => undefined);
      let carrying: number | undefined; // the service's connection to the node that holds the upload
      await until(
        "the upload reached the frozen node",
        10_000,
        () => (carrying = peer.apiConnections().find((c) => c.unread > 0)?.clientPort) !== undefined,
      );
      hangUp.abort();
      expect(
        await upload.then(
          () => "answered",
          (error: Error) => error.name,
        ),
      ).to.equal("AbortError");
      // The abort reached the store: the service closed its connection to the node (the kernel shows it
      // even though the frozen node has not noticed), long before STORE_TIMEOUT_MS.
      await until("the service hung up on the node", 5000, () =>
        ["CLOSE_WAIT", undefined].includes(peer.apiConnections().find((c) => c.clientPort === carrying)?.state),
      );

      peer.thaw();
      await until("the node caught up", 10_000, nodeCaughtUp);
      expect(await pins(peer)).to.not.include(await cidOf(abandoned));
      await sleep(3000);
      expect(((await (await api.get("/v1/evidence")).json()) as Json).items).to.deep.equal(before);
    } finally {
      await service.stop();
    }
  });
});
