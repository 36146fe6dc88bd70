/** The embedded IPFS store on a real folder: Kubo's CIDs, blocks checked on read, CAR export. */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CarReader } from "@ipld/car";
import { HeliaContentStore } from "../../src/adapters/helia/helia-store.ts";
import { ContentIntegrityError } from "../../src/ports/content-store.ts";
import { tempDir } from "../helpers/temp.ts";
import { KUBO_CIDS } from "../fixtures/kubo-cids.ts";

async function* chunked(bytes: Buffer, size = 65_536) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
async function collect(source: AsyncIterable<Uint8Array>) {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe("HeliaContentStore (blockstore-fs on disk)", () => {
  const dir = tempDir("helia-");
  let store: HeliaContentStore;
  before(async () => {
    store = await HeliaContentStore.open(join(dir.path, "ipfs"));
  });
  after(async () => {
    await store.close();
    dir.remove();
  });

  it("gives the CIDs of Kubo's `ipfs add --cid-version=1` (empty, 'hello world\\n', 1 MiB of zeros)", async () => {
    expect(await store.add(chunked(Buffer.alloc(0)))).to.equal(KUBO_CIDS.empty);
    expect(await store.add(chunked(Buffer.from("hello world\n")))).to.equal(KUBO_CIDS.helloWorld);
    expect(await store.add(chunked(Buffer.alloc(1024 * 1024)))).to.equal(KUBO_CIDS.oneMiBOfZeros);
    expect(await store.addBytes(Buffer.from("hello world\n"))).to.equal(KUBO_CIDS.helloWorld);
  });

  it("gives the bytes back, and a CAR of every block rooted at the CID", async () => {
    const bytes = randomBytes(700_000);
    const cid = await store.add(chunked(bytes));
    expect((await collect(store.cat(cid))).equals(bytes)).to.equal(true);
    const car = await CarReader.fromBytes(await collect(store.car(cid)));
    expect((await car.getRoots()).map(String)).to.deep.equal([cid]);
    let blocks = 0;
    for await (const _ of car.blocks()) blocks++;
    expect(blocks).to.equal(4); // three 256 KiB leaves and their parent
  });

  it("writes each block once in a CAR, as Kubo's `dag export` does (1 MiB of zeros shares one leaf)", async () => {
    const cid = await store.add(chunked(Buffer.alloc(1024 * 1024)));
    const bytes = await collect(store.car(cid));
    const car = await CarReader.fromBytes(bytes);
    const blocks: string[] = [];
    for await (const block of car.blocks()) blocks.push(block.cid.toString());
    // the root (four links to the same leaf) and that one leaf: the raw CID of 262,144 zero bytes
    expect(blocks).to.deep.equal([cid, KUBO_CIDS.zeroLeaf]);
    expect(bytes.length).to.be.within(262_144, 262_144 + 400); // the leaf, the root node and the CAR's framing
  });

  it("counts a block missing from disk as altered content", async () => {
    const cid = await store.add(chunked(Buffer.from("a block that will disappear")));
    const files = readdirSync(join(dir.path, "ipfs"), { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    const blockFile = files
      .map((f) => join(f.parentPath, f.name))
      .find((p) => readFileSync(p).toString() === "a block that will disappear")!;
    rmSync(blockFile);
    let error: unknown;
    await collect(store.cat(cid)).catch((e) => (error = e));
    expect(error).to.be.instanceOf(ContentIntegrityError);
    expect((error as Error).message).to.equal(`block ${cid} is missing from the store`);
  });

  it("refuses to serve a block altered on disk", async () => {
    const bytes = Buffer.from("a block someone will edit by hand");
    const cid = await store.add(chunked(bytes));
    // A single-block file: the block file holds exactly its bytes.
    const files = readdirSync(join(dir.path, "ipfs"), { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    const blockFile = files.map((f) => join(f.parentPath, f.name)).find((p) => readFileSync(p).equals(bytes))!;
    writeFileSync(blockFile, Buffer.from("A block someone will edit by hand"));
    let error: unknown;
    await collect(store.cat(cid)).catch((e) => (error = e));
    expect(error).to.be.instanceOf(ContentIntegrityError);
  });
});
