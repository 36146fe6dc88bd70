import { expect } from "chai";
import { network } from "hardhat";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const { ethers, networkHelpers } = await network.create();

const sha256 = (data: string) => "0x" + createHash("sha256").update(data).digest("hex");
const ZERO = ethers.ZeroHash;

async function deployRegistry() {
  const [admin, anchorer, stranger] = await ethers.getSigners();
  const registry = await ethers.deployContract("EvidenceRegistry", [admin.address, anchorer.address]);
  const ANCHORER_ROLE = await registry.ANCHORER_ROLE();
  return { registry, admin, anchorer, stranger, ANCHORER_ROLE };
}

function batchOf(count: number) {
  const values = Array.from({ length: count }, (_, i) => [sha256(`file ${i}`), sha256(`metadata ${i}`)]);
  return { values, tree: StandardMerkleTree.of(values, ["bytes32", "bytes32"]) };
}

type Registry = Awaited<ReturnType<typeof deployRegistry>>["registry"];
type Signer = Awaited<ReturnType<typeof deployRegistry>>["anchorer"];

/** Anchors `root` in the next block at a time chosen here, so that tests can expect that exact time. */
async function anchorAtKnownTime(registry: Registry, anchorer: Signer, root: string) {
  const time = BigInt(await networkHelpers.time.latest()) + 1000n;
  await networkHelpers.time.setNextBlockTimestamp(time);
  const receipt = (await (await registry.connect(anchorer).anchor(root)).wait())!;
  return { time, receipt };
}

/** The sibling path from node `index` (any node, not only a leaf) of a StandardMerkleTree up to its root. */
function proofOfNode(nodes: string[], index: number): string[] {
  const proof: string[] = [];
  for (let i = index; i > 0; i = Math.floor((i - 1) / 2)) {
    proof.push(nodes[i % 2 === 1 ? i + 1 : i - 1]!);
  }
  return proof;
}

describe("EvidenceRegistry", () => {
  describe("deployment", () => {
    it("gives the admin role to the admin and the anchorer role to the anchorer", async () => {
      const { registry, admin, anchorer, ANCHORER_ROLE } = await networkHelpers.loadFixture(deployRegistry);
      expect(await registry.hasRole(await registry.DEFAULT_ADMIN_ROLE(), admin.address)).to.equal(true);
      expect(await registry.hasRole(ANCHORER_ROLE, anchorer.address)).to.equal(true);
      expect(await registry.hasRole(ANCHORER_ROLE, admin.address)).to.equal(false);
      expect(ANCHORER_ROLE).to.equal(ethers.id("ANCHORER_ROLE"));
    });

    it("grants the anchorer role to nobody when the anchorer is the zero address", async () => {
      const [admin] = await ethers.getSigners();
      const registry = await ethers.deployContract("EvidenceRegistry", [admin.address, ethers.ZeroAddress]);
      expect(await registry.hasRole(await registry.ANCHORER_ROLE(), ethers.ZeroAddress)).to.equal(false);
      await expect(registry.connect(admin).anchor(sha256("root")))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, await registry.ANCHORER_ROLE());
    });

    it("supports the AccessControl interface (ERC-165)", async () => {
      const { registry } = await networkHelpers.loadFixture(deployRegistry);
      expect(await registry.supportsInterface("0x7965db0b")).to.equal(true);
      expect(await registry.supportsInterface("0xffffffff")).to.equal(false);
    });
  });

  describe("anchor", () => {
    it("records the block time, block number and submitter, and emits RootAnchored", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const root = sha256("batch 1");
      const tx = await registry.connect(anchorer).anchor(root);
      const receipt = (await tx.wait())!;
      const block = (await ethers.provider.getBlock(receipt.blockNumber))!;

      await expect(tx).to.emit(registry, "RootAnchored").withArgs(root, anchorer.address, block.timestamp, receipt.blockNumber);
      const [timestamp, blockNumber, submitter] = await registry.anchorOf(root);
      expect(timestamp).to.equal(BigInt(block.timestamp));
      expect(blockNumber).to.equal(BigInt(receipt.blockNumber));
      expect(submitter).to.equal(anchorer.address);
      console.log(`      gas for one anchor: ${receipt.gasUsed}`);
    });

    it("returns the recorded timestamp to a calling contract", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const root = sha256("static call");
      const time = (await networkHelpers.time.latest()) + 500;
      await networkHelpers.time.setNextBlockTimestamp(time);
      const returned = await registry.connect(anchorer).anchor.staticCall(root, { blockTag: "pending" });
      expect(returned).to.equal(BigInt(time));
    });

    it("refuses the zero root", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      await expect(registry.connect(anchorer).anchor(ZERO)).to.be.revertedWithCustomError(registry, "EvidenceRegistryZeroRoot");
    });

    it("refuses a root anchored before, naming the first anchor's time and block, and keeps the first", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const root = sha256("batch once");
      const receipt = (await (await registry.connect(anchorer).anchor(root)).wait())!;
      const firstTime = (await ethers.provider.getBlock(receipt.blockNumber))!.timestamp;
      await networkHelpers.time.increase(3600);

      await expect(registry.connect(anchorer).anchor(root))
        .to.be.revertedWithCustomError(registry, "EvidenceRegistryAlreadyAnchored")
        .withArgs(root, firstTime, receipt.blockNumber);
      const [timestamp, blockNumber] = await registry.anchorOf(root);
      expect(timestamp).to.equal(BigInt(firstTime));
      expect(blockNumber).to.equal(BigInt(receipt.blockNumber));
    });

    it("refuses an account without the anchorer role", async () => {
      const { registry, stranger, ANCHORER_ROLE } = await networkHelpers.loadFixture(deployRegistry);
      await expect(registry.connect(stranger).anchor(sha256("x")))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, ANCHORER_ROLE);
    });
  });

  describe("anchorOf", () => {
    it("reads zeros for a root never anchored", async () => {
      const { registry } = await networkHelpers.loadFixture(deployRegistry);
      const [timestamp, blockNumber, submitter] = await registry.anchorOf(sha256("never"));
      expect([timestamp, blockNumber, submitter]).to.deep.equal([0n, 0n, ethers.ZeroAddress]);
    });
  });

  describe("leafHash", () => {
    it("computes the same leaf hash as StandardMerkleTree", async () => {
      const { registry } = await networkHelpers.loadFixture(deployRegistry);
      const { values, tree } = batchOf(3);
      for (const [i, v] of values.entries()) {
        expect(await registry.leafHash(v[0], v[1])).to.equal(tree.leafHash(values[i]));
      }
    });
  });

  describe("verifyItem", () => {
    for (const size of [1, 2, 3, 7, 100]) {
      it(`returns the anchor time for every item of an anchored batch of ${size}`, async () => {
        const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
        const { tree } = batchOf(size);
        const { time } = await anchorAtKnownTime(registry, anchorer, tree.root);
        for (const [i, [content, metadata]] of tree.entries()) {
          expect(await registry.verifyItem(tree.root, content, metadata, tree.getProof(i))).to.equal(time);
        }
      });
    }

    it("returns 0 for a valid proof under a root that was never anchored", async () => {
      const { registry } = await networkHelpers.loadFixture(deployRegistry);
      const { tree } = batchOf(4);
      const [content, metadata] = tree.at(0)!;
      expect(await registry.verifyItem(tree.root, content, metadata, tree.getProof(0))).to.equal(0n);
    });

    it("returns 0 for an item not in the batch, another item's proof, or a changed metadata hash", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const { tree } = batchOf(4);
      await anchorAtKnownTime(registry, anchorer, tree.root);
      const [content, metadata] = tree.at(0)!;
      expect(await registry.verifyItem(tree.root, sha256("other"), sha256("other meta"), tree.getProof(0))).to.equal(0n);
      expect(await registry.verifyItem(tree.root, content, metadata, tree.getProof(1))).to.equal(0n);
      expect(await registry.verifyItem(tree.root, content, sha256("metadata 1"), tree.getProof(0))).to.equal(0n);
      expect(await registry.verifyItem(tree.root, content, metadata, [])).to.equal(0n);
    });
  });

  describe("verify proves a node, verifyItem an item (OpenZeppelin MerkleProof's inner-node warning)", () => {
    it("returns the anchor time for every item's leaf and proof", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const { tree } = batchOf(7);
      const { time } = await anchorAtKnownTime(registry, anchorer, tree.root);
      for (const [i, value] of tree.entries()) {
        expect(await registry.verify(tree.root, tree.leafHash(value), tree.getProof(i))).to.equal(time);
      }
    });

    for (const size of [3, 7]) {
      it(`passes every inner node of a batch of ${size} through verify, and none through verifyItem`, async () => {
        const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
        const { tree } = batchOf(size);
        const { time } = await anchorAtKnownTime(registry, anchorer, tree.root);
        const nodes = tree.dump().tree;
        const innerNodes = nodes.map((_, i) => i).filter((i) => 2 * i + 1 < nodes.length);
        expect(innerNodes).to.have.length(size - 1);

        for (const i of innerNodes) {
          const proof = proofOfNode(nodes, i);
          // The flaw: a node that is no item, with its shorter proof, "verifies".
          expect(await registry.verify(tree.root, nodes[i]!, proof)).to.equal(time);
          // The natural forgery: the node's two children as (content, metadata), whose single hash is
          // the node; verifyItem hashes twice, so it cannot land on the node.
          const [low, high] = [nodes[2 * i + 1]!, nodes[2 * i + 2]!].sort();
          expect(ethers.keccak256(ethers.concat([low!, high!]))).to.equal(nodes[i]);
          expect(await registry.verifyItem(tree.root, low!, high!, proof)).to.equal(0n);
          // Nor does any item of the batch pass with that shorter proof.
          for (const [, [content, metadata]] of tree.entries()) {
            expect(await registry.verifyItem(tree.root, content, metadata, proof)).to.equal(0n);
          }
        }
      });
    }

    it("does not accept a bare (single-hashed) leaf: leaves are double-hashed", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const { tree } = batchOf(2);
      await anchorAtKnownTime(registry, anchorer, tree.root);
      const single = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], tree.at(0)!));
      expect(await registry.verify(tree.root, single, tree.getProof(0))).to.equal(0n);
    });

    it("returns 0 from verify for a node not in the batch, a proof for another leaf, or an unanchored root", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const { tree } = batchOf(4);
      const leaf0 = tree.leafHash(tree.at(0)!);
      expect(await registry.verify(tree.root, leaf0, tree.getProof(0))).to.equal(0n);
      await anchorAtKnownTime(registry, anchorer, tree.root);
      const stranger = StandardMerkleTree.of([[sha256("other"), sha256("other meta")]], ["bytes32", "bytes32"]);
      expect(await registry.verify(tree.root, stranger.root, tree.getProof(0))).to.equal(0n);
      expect(await registry.verify(tree.root, tree.leafHash(tree.at(1)!), tree.getProof(0))).to.equal(0n);
    });
  });

  describe("shared test vectors (test/fixtures/merkle-vectors.json, also checked by the TS unit tests)", () => {
    const vectors = JSON.parse(readFileSync(new URL("../fixtures/merkle-vectors.json", import.meta.url), "utf8"));

    it("computes each vector's leaf hash, and verifies each vector's item and proof under the anchored root", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const { time } = await anchorAtKnownTime(registry, anchorer, vectors.root);
      expect(vectors.items).to.have.length(3);
      for (const item of vectors.items) {
        const [content, metadata] = ["0x" + item.sha256, "0x" + item.metadataSha256];
        const leaf = await registry.leafHash(content, metadata);
        expect(leaf).to.equal(item.leafHash);
        expect(await registry.verifyItem(vectors.root, content, metadata, item.proof)).to.equal(time);
        expect(await registry.verify(vectors.root, leaf, item.proof)).to.equal(time);
      }
    });
  });

  describe("VERSION", () => {
    it('is "2", the version receipts cite', async () => {
      const { registry } = await networkHelpers.loadFixture(deployRegistry);
      expect(await registry.VERSION()).to.equal("2");
    });
  });

  describe("time (read through _time() and _blockNumber(), OpenZeppelin Time)", () => {
    it("records, emits and returns the block's exact timestamp and number", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const root = sha256("timed");
      const time = (await networkHelpers.time.latest()) + 86_400;
      const blockNumber = (await networkHelpers.time.latestBlock()) + 1;
      await networkHelpers.time.setNextBlockTimestamp(time);

      const tx = await registry.connect(anchorer).anchor(root);
      const receipt = (await tx.wait())!;

      expect(receipt.blockNumber).to.equal(blockNumber);
      await expect(tx).to.emit(registry, "RootAnchored").withArgs(root, anchorer.address, time, blockNumber);
      const [timestamp, recordedBlock, submitter] = await registry.anchorOf(root);
      expect([timestamp, recordedBlock, submitter]).to.deep.equal([BigInt(time), BigInt(blockNumber), anchorer.address]);
    });

    it("records the last second a uint48 holds", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const root = sha256("far future");
      const last = 2n ** 48n - 1n;
      await networkHelpers.time.setNextBlockTimestamp(last);
      await (await registry.connect(anchorer).anchor(root)).wait();
      expect((await registry.anchorOf(root))[0]).to.equal(last);
    });

    it("refuses a time past uint48 rather than truncate it (SafeCast, no raw cast)", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const root = sha256("too far");
      await networkHelpers.time.setNextBlockTimestamp(2n ** 48n);
      await expect(registry.connect(anchorer).anchor(root))
        .to.be.revertedWithCustomError(registry, "SafeCastOverflowedUintDowncast")
        .withArgs(48, 2n ** 48n);
      expect(await registry.anchorOf(root)).to.deep.equal([0n, 0n, ethers.ZeroAddress]);
    });
  });

  describe("role management", () => {
    it("lets the admin grant and revoke the anchorer role", async () => {
      const { registry, admin, stranger, ANCHORER_ROLE } = await networkHelpers.loadFixture(deployRegistry);
      await expect(registry.connect(admin).grantRole(ANCHORER_ROLE, stranger.address))
        .to.emit(registry, "RoleGranted")
        .withArgs(ANCHORER_ROLE, stranger.address, admin.address);
      await registry.connect(stranger).anchor(sha256("granted"));

      await expect(registry.connect(admin).revokeRole(ANCHORER_ROLE, stranger.address))
        .to.emit(registry, "RoleRevoked")
        .withArgs(ANCHORER_ROLE, stranger.address, admin.address);
      await expect(registry.connect(stranger).anchor(sha256("revoked")))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, ANCHORER_ROLE);
    });

    it("refuses role changes from an account without the admin role", async () => {
      const { registry, anchorer, stranger, ANCHORER_ROLE } = await networkHelpers.loadFixture(deployRegistry);
      await expect(registry.connect(anchorer).grantRole(ANCHORER_ROLE, stranger.address))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(anchorer.address, ethers.ZeroHash);
    });
  });

  describe("gas", () => {
    it("costs one anchor per batch, whatever its size: gas per item for batches of 1, 10, 100 and 1000", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const rows: string[] = [];
      for (const size of [1, 10, 100, 1000]) {
        const { tree } = batchOf(size);
        const receipt = (await (await registry.connect(anchorer).anchor(tree.root)).wait())!;
        rows.push(`batch ${size}: ${receipt.gasUsed} gas, ${Number(receipt.gasUsed) / size} per item`);
        expect(receipt.gasUsed).to.be.lessThan(60_000n);
      }
      console.log(rows.map((r) => `      ${r}`).join("\n"));
    });

    it("verifyItem costs under 2,000 gas more than verify, whatever the batch: gas for batches of 1, 10, 100 and 1000", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const rows: string[] = [];
      for (const size of [1, 10, 100, 1000]) {
        const { tree } = batchOf(size);
        await anchorAtKnownTime(registry, anchorer, tree.root);
        const [content, metadata] = tree.at(0)!;
        const proof = tree.getProof(0);
        const item = await registry.verifyItem.estimateGas(tree.root, content, metadata, proof);
        const node = await registry.verify.estimateGas(tree.root, tree.leafHash(tree.at(0)!), proof);
        rows.push(`batch ${size} (${proof.length} proof steps): verifyItem ${item} gas, verify ${node} gas`);
        // The leaf's two hashes on chain, and 32 more bytes of calldata: the same whatever the batch.
        expect(item - node).to.be.lessThan(2_000n);
        expect(item).to.be.lessThan(45_000n);
      }
      console.log(rows.map((r) => `      ${r}`).join("\n"));
    });
  });
});
