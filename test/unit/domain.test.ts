import { expect } from "chai";
import { readFileSync } from "node:fs";
import { canonicalJson, canonicalJsonSha256 } from "../../src/domain/canonical-json.ts";
import { buildMetadata } from "../../src/domain/evidence.ts";
import { sha256Hex } from "../../src/domain/hashing.ts";
import { fileFacts } from "../../src/domain/content-id.ts";
import { ListingSnapshotSchema } from "../../src/domain/listing-snapshot.ts";
import { madeMediaType, sniffMediaType } from "../../src/domain/media-type.ts";
import { buildMerkleBatch, verifyMerkleProof } from "../../src/domain/merkle-batch.ts";
import { buildReceipt } from "../../src/domain/receipt.ts";
import { wellFormedJson } from "../../src/domain/well-formed.ts";
import { PNG, SNAPSHOT } from "../fixtures/listing-snapshot.ts";

const vectors = JSON.parse(readFileSync(new URL("../fixtures/merkle-vectors.json", import.meta.url), "utf8"));

describe("hashing", () => {
  it("gives the SHA-256 that sha256sum prints, for bytes and for streams", async () => {
    for (const item of vectors.items) {
      expect(sha256Hex(item.content)).to.equal(item.sha256);
      async function* chunks() {
        const bytes = Buffer.from(item.content);
        for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
      }
      expect(await fileFacts(chunks())).to.deep.include({ sha256: item.sha256, size: Buffer.byteLength(item.content) });
    }
  });

  it("computes the CID Kubo's `ipfs add --cid-version=1` gives, in memory, for known files", async () => {
    const one = async function* (bytes: Buffer) {
      yield bytes;
    };
    expect((await fileFacts(one(Buffer.alloc(0)))).cid).to.equal("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    expect((await fileFacts(one(Buffer.from("hello world\n")))).cid).to.equal(
      "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
    );
    expect((await fileFacts(one(Buffer.alloc(1024 * 1024)))).cid).to.equal("bafybeiggzq4ryi7hscq5hzvzcnk4urnxt3asp37dhgvnjilf7exskximla");
  });
});

describe("canonical JSON (RFC 8785)", () => {
  it("matches the RFC's own example (numbers, escapes, key order)", () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).to.equal(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' + '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("gives the same bytes whatever the key order of the input", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: "x" } })).to.equal(canonicalJson({ a: { c: "x", d: [1, 2] }, b: 1 }));
  });

  it("hashes the shared vectors' metadata to their recorded metadataSha256", () => {
    for (const item of vectors.items) {
      expect(canonicalJson(item.metadata)).to.equal(item.metadataCanonical);
      expect(canonicalJsonSha256(item.metadata)).to.equal(item.metadataSha256);
    }
  });
});

describe("buildMetadata", () => {
  it("leaves out absent claims, so the hash does not depend on how absence was spelled", () => {
    const base = {
      id: "ev_1",
      kind: "document" as const,
      sha256: "a".repeat(64),
      size: 1,
      mediaType: "text/plain",
      cid: "bafk",
      receivedAt: "2026-01-01T00:00:00.000Z",
    };
    const withUndefined = buildMetadata({ ...base, caseRef: undefined, description: "" });
    const without = buildMetadata(base);
    expect(withUndefined.metadata).to.deep.equal(base);
    expect(withUndefined.metadataSha256).to.equal(without.metadataSha256);
    expect(buildMetadata({ ...base, caseRef: "C-1" }).metadataSha256).not.to.equal(without.metadataSha256);
  });
});

describe("sniffMediaType", () => {
  const png = PNG;
  const jpeg = Buffer.from("ffd8ffe000104a46494600010100000100010000", "hex");

  it("reads the type from the bytes, not from a name", async () => {
    expect(await sniffMediaType(png)).to.equal("image/png");
    expect(await sniffMediaType(jpeg)).to.equal("image/jpeg");
    expect(await sniffMediaType(Buffer.from("%PDF-1.7\n%âãÏÓ\n1 0 obj"))).to.equal("application/pdf");
  });

  it("tells text, JSON and HTML apart, and calls anything else octet-stream", async () => {
    expect(await sniffMediaType(Buffer.from("hello world\n"))).to.equal("text/plain");
    expect(await sniffMediaType(Buffer.from('{"a":1}'))).to.equal("application/json");
    expect(await sniffMediaType(Buffer.from("<!DOCTYPE html><html></html>"))).to.equal("text/html");
    expect(await sniffMediaType(Buffer.from([0, 1, 2, 3, 250, 251]))).to.equal("application/octet-stream");
    expect(await sniffMediaType(Buffer.alloc(0))).to.equal("application/octet-stream");
  });

  it("keeps the type the service made its own bytes as, unless the bytes contradict it", () => {
    expect(madeMediaType("text/plain", "multipart/related")).to.equal("multipart/related"); // MHTML
    expect(madeMediaType("text/plain", "application/json")).to.equal("application/json"); // a HAR longer than the window
    expect(madeMediaType("image/png", "image/png")).to.equal("image/png");
    expect(madeMediaType("image/png", "application/json")).to.equal("image/png"); // the bytes win
    expect(madeMediaType("application/octet-stream", "text/html")).to.equal("application/octet-stream");
    expect(madeMediaType("text/plain", undefined)).to.equal("text/plain");
    expect(madeMediaType("application/zip", "application/wacz")).to.equal("application/wacz"); // a WACZ is a zip
    expect(madeMediaType("application/zip", "application/json")).to.equal("application/zip");
  });

  it("treats UTF-8 text cut in the middle of a character as text", async () => {
    const text = Buffer.from("prix: 19,90 €");
    expect(await sniffMediaType(text.subarray(0, text.length - 1))).to.equal("text/plain");
  });
});

describe("buildMerkleBatch", () => {
  const items = vectors.items.map((v: { sha256: string; metadataSha256: string }, i: number) => ({
    id: `ev_${i}`,
    sha256: v.sha256,
    metadataSha256: v.metadataSha256,
  }));

  it("builds the shared vectors' root, leaves and proofs", () => {
    const batch = buildMerkleBatch(items);
    expect(batch.root).to.equal(vectors.root);
    items.forEach((item: { id: string }, i: number) => {
      expect(batch.proofs.get(item.id)!.leafHash).to.equal(vectors.items[i].leafHash);
      expect(batch.proofs.get(item.id)!.proof).to.deep.equal(vectors.items[i].proof);
    });
  });

  it("gives proofs that verify, and fail for another leaf or a changed proof", () => {
    const batch = buildMerkleBatch(items);
    const [a, b] = [batch.proofs.get("ev_0")!, batch.proofs.get("ev_1")!];
    expect(verifyMerkleProof(batch.root, a.leaf, a.proof)).to.equal(true);
    expect(verifyMerkleProof(batch.root, b.leaf, a.proof)).to.equal(false);
    expect(verifyMerkleProof(batch.root, a.leaf, [...a.proof].reverse().concat(a.proof))).to.equal(false);
    expect(verifyMerkleProof(batch.root, ["0xzz", a.leaf[1]], a.proof)).to.equal(false);
  });

  it("makes a batch of one whose root is its leaf hash and whose proof is empty", () => {
    const batch = buildMerkleBatch(items.slice(0, 1));
    expect(batch.proofs.get("ev_0")!.proof).to.deep.equal([]);
    expect(batch.root).to.equal(batch.proofs.get("ev_0")!.leafHash);
  });

  it("refuses an empty batch", () => {
    expect(() => buildMerkleBatch([])).to.throw(RangeError);
  });
});

describe("buildReceipt", () => {
  it("lays out evidence-receipt/v2 with the metadata that hashes to metadataSha256, the anchor and the time-stamps", () => {
    const item = vectors.items[0];
    const metadata = { ...item.metadata, mediaType: "text/plain", cid: "bafk", receivedAt: "2026-01-01T00:00:00Z" };
    const { metadataSha256 } = buildMetadata(metadata);
    const anchor = {
      chainId: 31337,
      registry: "0x" + "1".repeat(40),
      txHash: "0x" + "2".repeat(64),
      blockNumber: 7,
      blockHash: "0x" + "3".repeat(64),
      timestamp: 1_800_000_000,
      registryVersion: "2",
    };
    const stamp = {
      type: "rfc3161" as const,
      tsa: "http://tsa.test/",
      genTime: "2027-01-15T08:00:01.250Z",
      serialNumber: "0a",
      token: "MAA=",
    };
    const receipt = buildReceipt({
      metadata,
      metadataSha256,
      leaf: ["0x" + item.sha256, "0x" + metadataSha256],
      proof: [],
      root: "0xroot",
      anchor,
      timestamps: [stamp],
      timestampsPending: ["http://other-tsa.test/"],
    });
    expect(receipt.version).to.equal("evidence-receipt/v2");
    expect(receipt.evidence).to.deep.equal({
      id: metadata.id,
      kind: "document",
      sha256: item.sha256,
      size: metadata.size,
      mediaType: "text/plain",
      cid: "bafk",
      metadataSha256,
    });
    expect(canonicalJsonSha256(receipt.metadata)).to.equal(receipt.evidence.metadataSha256);
    expect(receipt.merkle).to.deep.include({ format: "openzeppelin-standard-v1", root: "0xroot" });
    expect(receipt.merkle.leafEncoding).to.deep.equal(["bytes32", "bytes32"]);
    expect(receipt.anchor).to.deep.equal(anchor);
    expect(receipt.timestamps).to.deep.equal([stamp]);
    expect(receipt.timestampsPending).to.deep.equal(["http://other-tsa.test/"]);
  });
});

describe("ListingSnapshotSchema", () => {
  const snapshot = SNAPSHOT;

  it("accepts a complete snapshot", () => {
    expect(ListingSnapshotSchema.parse(snapshot)).to.deep.equal(snapshot);
  });

  it("refuses unknown fields, bad currencies, non-http URLs and dates without a zone", () => {
    expect(ListingSnapshotSchema.safeParse({ ...snapshot, extra: 1 }).success).to.equal(false);
    expect(ListingSnapshotSchema.safeParse({ ...snapshot, price: { amount: "1", currency: "usd" } }).success).to.equal(false);
    expect(ListingSnapshotSchema.safeParse({ ...snapshot, url: "file:///etc/passwd" }).success).to.equal(false);
    expect(ListingSnapshotSchema.safeParse({ ...snapshot, capturedAt: "2026-11-01 10:00" }).success).to.equal(false);
  });
});

describe("well-formed JSON text", () => {
  it("replaces lone surrogates by U+FFFD, in values and keys, names where, and keeps paired ones", () => {
    const input = { title: "a\ud800b", ok: "😀 \ud83d\ude00", images: ["x", "\udc00"], headers: { "k\ud800": "v" }, n: 1, none: null };
    expect(() => canonicalJson(input)).to.throw();
    const { value, repaired } = wellFormedJson(input);
    expect(value).to.deep.equal({ title: "a\ufffdb", ok: "😀 😀", images: ["x", "\ufffd"], headers: { "k\ufffd": "v" }, n: 1, none: null });
    expect(repaired).to.deep.equal(["title", "images[1]", "headers.k\ufffd"]);
    expect(canonicalJson(value)).to.equal(
      '{"headers":{"k\ufffd":"v"},"images":["x","\ufffd"],"n":1,"none":null,"ok":"😀 😀","title":"a\ufffdb"}',
    );
  });
});
