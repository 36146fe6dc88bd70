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
      const returned = await registry.connect(anchorer).anchor.staticCall(root);
      expect(returned).to.be.greaterThan(0n);
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

  describe("verify and leafHash", () => {
    it("computes the same leaf hash as StandardMerkleTree", async () => {
      const { registry } = await networkHelpers.loadFixture(deployRegistry);
      const { values, tree } = batchOf(3);
      for (const [i, v] of values.entries()) {
        expect(await registry.leafHash(v[0], v[1])).to.equal(tree.leafHash(values[i]));
      }
    });

    it("returns the anchor time for every item of an anchored StandardMerkleTree batch", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const { tree } = batchOf(7);
      const receipt = (await (await registry.connect(anchorer).anchor(tree.root)).wait())!;
      const time = BigInt((await ethers.provider.getBlock(receipt.blockNumber))!.timestamp);
      for (const [i, value] of tree.entries()) {
        expect(await registry.verify(tree.root, tree.leafHash(value), tree.getProof(i))).to.equal(time);
      }
    });

    it("verifies a batch of one, whose proof is empty", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const { tree } = batchOf(1);
      await registry.connect(anchorer).anchor(tree.root);
      expect(tree.getProof(0)).to.deep.equal([]);
      expect(await registry.verify(tree.root, tree.leafHash(tree.at(0)!), [])).to.be.greaterThan(0n);
    });

    it("returns 0 for a valid proof under a root that was never anchored", async () => {
      const { registry } = await networkHelpers.loadFixture(deployRegistry);
      const { tree } = batchOf(4);
      expect(await registry.verify(tree.root, tree.leafHash(tree.at(0)!), tree.getProof(0))).to.equal(0n);
    });

    it("returns 0 for a leaf that is not in the anchored batch, or a proof for another leaf", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const { tree } = batchOf(4);
      await registry.connect(anchorer).anchor(tree.root);
      const stranger = StandardMerkleTree.of([[sha256("other"), sha256("other meta")]], ["bytes32", "bytes32"]);
      expect(await registry.verify(tree.root, stranger.root, tree.getProof(0))).to.equal(0n);
      expect(await registry.verify(tree.root, tree.leafHash(tree.at(1)!), tree.getProof(0))).to.equal(0n);
    });

    it("does not accept a bare (single-hashed) leaf: leaves are double-hashed", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      const { tree } = batchOf(2);
      await registry.connect(anchorer).anchor(tree.root);
      const single = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], tree.at(0)!));
      expect(await registry.verify(tree.root, single, tree.getProof(0))).to.equal(0n);
    });
  });

  describe("shared test vectors (test/fixtures/merkle-vectors.json, also checked by the TS unit tests)", () => {
    const vectors = JSON.parse(readFileSync(new URL("../fixtures/merkle-vectors.json", import.meta.url), "utf8"));

    it("computes each vector's leaf hash and verifies each vector's proof under the anchored root", async () => {
      const { registry, anchorer } = await networkHelpers.loadFixture(deployRegistry);
      await registry.connect(anchorer).anchor(vectors.root);
      for (const item of vectors.items) {
        const leaf = await registry.leafHash("0x" + item.sha256, "0x" + item.metadataSha256);
        expect(leaf).to.equal(item.leafHash);
        expect(await registry.verify(vectors.root, leaf, item.proof)).to.be.greaterThan(0n);
      }
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
  });
});
