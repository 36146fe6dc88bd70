/**
 * The chain of custody's hashing and its verification (domain/custody-log.ts, custody-verification.ts):
 * the values a person recomputes with sha256sum, and every way a document can fail to check out.
 */
import { expect } from "chai";
import {
  CUSTODY_FORMAT,
  GENESIS_HASH,
  custodyEntriesShown,
  custodyHeadLeaf,
  linkCustodyEntry,
  type AnchoredCustodyHead,
  type CustodyDocument,
  type CustodyEntry,
  type CustodyLink,
} from "../../src/domain/custody-log.ts";
import { verifyCustodyLog } from "../../src/domain/custody-verification.ts";
import { sha256Hex } from "../../src/domain/hashing.ts";
import { buildMerkleBatch, verifyMerkleProof } from "../../src/domain/merkle-batch.ts";

const AT = "2026-11-27T10:00:00.000Z";
const ANCHOR = {
  chainId: 31337,
  registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  txHash: "0x" + "aa".repeat(32),
  blockNumber: 7,
  blockHash: "0x" + "bb".repeat(32),
  timestamp: 1_795_632_085,
  registryVersion: "2",
};

function entry(seq: number, evidenceId: string | undefined, extra: Partial<CustodyEntry> = {}): CustodyEntry {
  return {
    seq,
    at: AT,
    ...(evidenceId ? { evidenceId } : {}),
    accountId: "acc_a",
    keyId: "key_1",
    method: "GET",
    route: "/v1/evidence/:id",
    client: "127.0.0.1",
    status: 200,
    ...extra,
  };
}

/** The log: entries 1…n, each naming the item given for it. */
function log(items: (string | undefined)[]): CustodyLink[] {
  const links: CustodyLink[] = [];
  let prev = GENESIS_HASH;
  for (const [i, evidenceId] of items.entries()) {
    const e = entry(i + 1, evidenceId);
    const { entrySha256, hash } = linkCustodyEntry(prev, e);
    links.push({ seq: i + 1, prev, hash, entrySha256, entry: e });
    prev = hash;
  }
  return links;
}

/** A head anchored in a batch of one item beside it. */
function anchored(link: CustodyLink): AnchoredCustodyHead {
  const leaf = custodyHeadLeaf(link);
  const batch = buildMerkleBatch([{ id: "ev_x", sha256: sha256Hex("x"), metadataSha256: sha256Hex("m x") }], leaf);
  return { seq: link.seq, hash: link.hash, leaf, proof: batch.extra!.proof, root: batch.root, anchor: ANCHOR };
}

/** An item's document: its entries shown, the others by digest only. */
function itemDocument(links: CustodyLink[], evidenceId: string, heads: AnchoredCustodyHead[]): CustodyDocument {
  return {
    format: CUSTODY_FORMAT,
    evidenceId,
    entries: links.map(({ entry: e, ...link }) => (e?.evidenceId === evidenceId ? { ...link, entry: e } : link)),
    heads,
  };
}

describe("the chain of custody", () => {
  it("hashes an entry as sha256sum does: its canonical JSON, then SHA-256 over prev ‖ entry digest", () => {
    const first = entry(1, "ev_1", { method: "POST", route: "/v1/evidence", status: 201 });
    const { json, entrySha256, hash } = linkCustodyEntry(GENESIS_HASH, first);
    expect(json).to.equal(
      '{"accountId":"acc_a","at":"2026-11-27T10:00:00.000Z","client":"127.0.0.1","evidenceId":"ev_1","keyId":"key_1","method":"POST","route":"/v1/evidence","seq":1,"status":201}',
    );
    // printf '%s' "$json" | sha256sum; printf '%064d%s' 0 "$entrySha256" | xxd -r -p | sha256sum
    expect(entrySha256).to.equal("648d8094e27879db745bb03a90285fc7a2e8a92f426d7d467aba1e8167c9f097");
    expect(hash).to.equal("2819bd31e5dc7f96609eb54ca08b4764de218f4003f641fe570f70fcebc04514");
    expect(custodyHeadLeaf({ seq: 1, hash })).to.deep.equal([
      "0x2819bd31e5dc7f96609eb54ca08b4764de218f4003f641fe570f70fcebc04514",
      "0x6ea38dd4dcd03d0d582ef74208d36133f8754358e5fbd076f22d44b02c7d5313",
    ]);
  });

  it("leaves absent facts out of the JSON rather than writing null", () => {
    const { json } = linkCustodyEntry(GENESIS_HASH, { ...entry(1, undefined), keyId: undefined, client: undefined });
    expect(JSON.parse(json)).to.deep.equal({ seq: 1, at: AT, accountId: "acc_a", method: "GET", route: "/v1/evidence/:id", status: 200 });
  });

  it("puts the head in a batch as one more leaf: its proof and every item's lead to the same root", () => {
    const items = ["a", "b", "c"].map((id) => ({ id, sha256: sha256Hex(id), metadataSha256: sha256Hex(`m ${id}`) }));
    const leaf = custodyHeadLeaf({ seq: 9, hash: sha256Hex("head") });
    const batch = buildMerkleBatch(items, leaf);
    expect(batch.extra!.leaf).to.deep.equal(leaf);
    expect(verifyMerkleProof(batch.root, leaf, batch.extra!.proof)).to.equal(true);
    for (const item of items) {
      const p = batch.proofs.get(item.id)!;
      expect(verifyMerkleProof(batch.root, p.leaf, p.proof)).to.equal(true);
    }
    expect(buildMerkleBatch(items).root).not.to.equal(batch.root);
    expect(buildMerkleBatch(items).extra).to.equal(undefined);
  });

  it("verifies an item's entries through other items' digests, up to the anchored head; later ones are not anchored yet", () => {
    const links = log(["ev_1", "ev_2", "ev_1", "ev_2", undefined, "ev_1"]);
    const document = itemDocument(links, "ev_1", [anchored(links[3]!)]);
    const result = verifyCustodyLog(document);
    expect(result.problems).to.deep.equal([]);
    expect(result.ok).to.equal(true);
    expect(result.entries).to.deep.equal([
      { seq: 1, evidenceId: "ev_1", anchoredBy: 4 },
      { seq: 3, evidenceId: "ev_1", anchoredBy: 4 },
      { seq: 6, evidenceId: "ev_1", anchoredBy: null },
    ]);
    expect(result.anchors).to.deep.equal([{ seq: 4, root: document.heads[0]!.root, anchor: ANCHOR }]);
    expect(custodyEntriesShown(document)).to.equal(3);
  });

  it("verifies a stretch that starts at an anchored head, not at the log's start", () => {
    const links = log(["ev_2", "ev_2", "ev_1", "ev_2", "ev_1"]);
    const result = verifyCustodyLog(itemDocument(links.slice(1), "ev_1", [anchored(links[1]!), anchored(links[3]!)]));
    expect(result.problems).to.deep.equal([]);
    expect(result.entries.map((e) => [e.seq, e.anchoredBy])).to.deep.equal([
      [3, 4],
      [5, null],
    ]);
  });

  it("fails an edited entry, a removed one, an entry rewritten with its chain, and another item's entry shown", () => {
    const links = log(["ev_1", "ev_2", "ev_1", "ev_1"]);
    const head = anchored(links[3]!);
    const edited = itemDocument(links, "ev_1", [head]);
    edited.entries[2]!.entry = { ...edited.entries[2]!.entry!, status: 404 };
    expect(verifyCustodyLog(edited).problems).to.deep.equal(["entry 3: its content does not hash to its entrySha256"]);

    const removed = itemDocument(links, "ev_1", [head]);
    removed.entries.splice(1, 1);
    expect(verifyCustodyLog(removed).problems).to.deep.equal([
      "entries 3–4: not tied to the log's start or to an anchored head, so an entry before them may be missing",
    ]);
    const removedInside = itemDocument(links, "ev_1", [head]);
    removedInside.entries[2] = { ...removedInside.entries[2]!, seq: 2, entry: { ...removedInside.entries[2]!.entry!, seq: 2 } };
    removedInside.entries.splice(1, 1); // entry 3 renumbered 2: its prev is not entry 1's hash
    expect(verifyCustodyLog(removedInside).problems).to.include("entry 2: its prev is not the hash of entry 1");

    const rewritten = log(["ev_1", "ev_2", "ev_1", "ev_1"]);
    rewritten[2]!.entry!.status = 500;
    expect(verifyCustodyLog(itemDocument(rechain(rewritten), "ev_1", [head])).problems).to.deep.equal([
      "head 4: its hash is not entry 4's",
    ]);

    const leaked = itemDocument(links, "ev_1", [head]);
    leaked.entries[1]!.entry = links[1]!.entry;
    expect(verifyCustodyLog(leaked).problems).to.deep.equal(["entry 2: shown, but it is not an entry of ev_1"]);
  });

  it("fails a head whose proof leads elsewhere, and an anchoredBy the document claims falsely", () => {
    const links = log(["ev_1", "ev_1"]);
    const head = { ...anchored(links[0]!), root: "0x" + "00".repeat(32) };
    const document = itemDocument(links, "ev_1", [head]);
    document.entries[1]!.anchoredBy = 1;
    expect(verifyCustodyLog(document).problems).to.deep.equal([
      `head 1: its Merkle proof does not lead from its leaf to root 0x${"00".repeat(32)}`,
      "entry 2: said to be anchored by head 1, but no head covers it",
    ]);
  });

  it("requires every entry of a page of the whole log, and names a malformed document's first fault", () => {
    const links = log(["ev_1", "ev_2"]);
    const page: CustodyDocument = { format: CUSTODY_FORMAT, entries: [links[0]!, { ...links[1]!, entry: undefined }], heads: [] };
    expect(verifyCustodyLog(page).problems).to.deep.equal(["entry 2: a page of the whole log must show every entry"]);
    expect(verifyCustodyLog({ format: CUSTODY_FORMAT, entries: [{ seq: 1 }], heads: [] })).to.deep.include({
      ok: false,
      problems: ["entries.0.prev: Invalid input: expected string, received undefined"],
    });
    expect(verifyCustodyLog(null).ok).to.equal(false);
  });
});

/** The same entries chained again from the start, as someone rewriting the log would. */
function rechain(links: CustodyLink[]): CustodyLink[] {
  let prev = GENESIS_HASH;
  return links.map((link) => {
    const { entrySha256, hash } = linkCustodyEntry(prev, link.entry!);
    const relinked = { ...link, prev, entrySha256, hash };
    prev = hash;
    return relinked;
  });
}
