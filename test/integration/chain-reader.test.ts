/**
 * The verifier's JSON-RPC chain readers against a real anvil holding two registries: the current build
 * (version 2, with VERSION and verifyItem) and the first release's bytecode (version 1, which has
 * neither: test/fixtures/evidence-registry-v1.artifact.json), as receipts already issued cite it. Both
 * readers answer alike: the CLI's (ethers) and the evidence bundle's (fetch, no ethers).
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Contract, isError, Wallet, type JsonRpcProvider } from "ethers";
import { ANVIL_DEV_PRIVATE_KEY, startAnvil, type AnvilChain } from "../../src/adapters/chain/anvil.ts";
import { registryArtifact, type RegistryArtifact } from "../../src/adapters/chain/artifact.ts";
import { jsonRpcChainReader } from "../../src/adapters/chain/chain-reader.ts";
import { ContractReverted, fetchChainReader } from "../../src/adapters/chain/fetch-chain-reader.ts";
import { deployRegistry } from "../../src/adapters/chain/deployment.ts";
import { rpcCall, rpcProvider } from "../../src/adapters/chain/provider.ts";
import { Errors, isAppError } from "../../src/errors.ts";
import type { ChainReader } from "../../src/ports/chain-reader.ts";
import { brokenEndpoints } from "../helpers/broken-endpoints.ts";
import { tempDir } from "../helpers/temp.ts";

const v1Artifact: RegistryArtifact = JSON.parse(
  readFileSync(new URL("../fixtures/evidence-registry-v1.artifact.json", import.meta.url), "utf8"),
);
const sha256 = (text: string) => "0x" + createHash("sha256").update(text).digest("hex");
const items = [0, 1, 2].map((i) => [sha256(`file ${i}`), sha256(`metadata ${i}`)]);
const tree = StandardMerkleTree.of(items, ["bytes32", "bytes32"]);

const READERS = { ethers: jsonRpcChainReader, fetch: fetchChainReader } as const;

for (const [readerName, makeReader] of Object.entries(READERS))
  describe(`the JSON-RPC chain reader (${readerName}), on a version-2 and a version-1 registry`, function () {
    this.timeout(60_000);
    const dir = tempDir("chain-reader-");
    let chain: AnvilChain;
    let provider: JsonRpcProvider;
    let reader: ChainReader;
    const registries = { v1: "", v2: "" };
    const anchoredAt = { v1: 0, v2: 0 };
    const anchorTx = { hash: "", blockNumber: 0, blockHash: "" };

    before(async () => {
      chain = await startAnvil({ stateDir: join(dir.path, "chain"), port: 0 });
      provider = rpcProvider(chain.rpcUrl);
      const wallet = new Wallet(ANVIL_DEV_PRIVATE_KEY, provider);
      for (const [version, artifact] of [
        ["v1", v1Artifact],
        ["v2", registryArtifact],
      ] as const) {
        registries[version] = (await deployRegistry(wallet, artifact, { network: version })).address;
        const anchored = await (await new Contract(registries[version], artifact.abi, wallet).getFunction("anchor")(tree.root)).wait();
        anchoredAt[version] = (await provider.getBlock(anchored.blockNumber))!.timestamp;
        Object.assign(anchorTx, { hash: anchored.hash, blockNumber: anchored.blockNumber, blockHash: anchored.blockHash });
      }
      reader = makeReader(chain.rpcUrl, { timeoutMs: 5000 });
    });
    after(async () => {
      reader?.close();
      provider?.destroy();
      await chain?.stop();
      dir.remove();
    });

    it('reads VERSION "2" from the current registry, and "1" from the first release\'s, which has no VERSION (the call reverts)', async () => {
      expect(await reader.registryVersion(registries.v2)).to.equal("2");
      expect(await reader.registryVersion(registries.v1)).to.equal("1");
    });

    it('reads "1" at an address without code, where the call returns nothing', async () => {
      expect(await provider.getCode(Wallet.createRandom().address)).to.equal("0x");
      expect(await reader.registryVersion(Wallet.createRandom().address)).to.equal("1");
    });

    it("verifies every item of the batch with verifyItem on version 2, and returns 0 for a changed metadata hash", async () => {
      for (const [i, [content, metadata]] of tree.entries()) {
        expect(await reader.registryVerifyItem(registries.v2, tree.root, content!, metadata!, tree.getProof(i))).to.equal(anchoredAt.v2);
      }
      const [content] = tree.at(0)!;
      expect(await reader.registryVerifyItem(registries.v2, tree.root, content!, sha256("metadata 1"), tree.getProof(0))).to.equal(0);
    });

    it("gets an answer from verify on version 1, and a revert (the contract's answer, not an outage) from verifyItem there", async () => {
      expect(await reader.registryVerify(registries.v1, tree.root, tree.leafHash(tree.at(1)!), tree.getProof(1))).to.equal(anchoredAt.v1);
      const [content, metadata] = tree.at(1)!;
      const error = await reader.registryVerifyItem(registries.v1, tree.root, content!, metadata!, tree.getProof(1)).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (readerName === "ethers") expect(isError(error, "CALL_EXCEPTION"), String(error)).to.equal(true);
      else expect(error instanceof ContractReverted && error.data === "0x", String(error)).to.equal(true);
      expect(isAppError(error, Errors.CHAIN_UNAVAILABLE)).to.equal(false);
    });

    it("reads the chain id, the anchor, its block and transaction, and the latest block number as the chain has them", async () => {
      expect(await reader.chainId()).to.equal(31337);
      expect(await reader.anchorOf(registries.v2, tree.root)).to.deep.equal({
        timestamp: anchoredAt.v2,
        blockNumber: anchorTx.blockNumber,
      });
      expect(await reader.anchorOf(registries.v2, sha256("never anchored"))).to.deep.equal({ timestamp: 0, blockNumber: 0 });
      expect(await reader.block(anchorTx.blockNumber)).to.deep.equal({ hash: anchorTx.blockHash, timestamp: anchoredAt.v2 });
      expect(await reader.block(anchorTx.blockNumber + 1000)).to.equal(null);
      const tx = await reader.transaction(anchorTx.hash);
      expect({ ...tx, to: tx?.to?.toLowerCase() }).to.deep.equal({
        success: true,
        blockNumber: anchorTx.blockNumber,
        blockHash: anchorTx.blockHash,
        to: registries.v2.toLowerCase(),
      });
      expect(await reader.transaction(sha256("no such transaction"))).to.equal(null);
      expect(await reader.blockNumber()).to.equal(await provider.getBlockNumber());
    });

    it("reads the genesis hash that eth_getBlockByNumber(0) gives", async () => {
      const genesis = (await rpcCall(chain.rpcUrl, "eth_getBlockByNumber", ["0x0", false])) as { hash: string; number: string };
      expect(genesis.number).to.equal("0x0");
      expect(genesis.hash).to.match(/^0x[0-9a-f]{64}$/);
      expect(await reader.genesisHash()).to.equal(genesis.hash);
    });

    describe("an endpoint that fails the reader", () => {
      let endpoints: Awaited<ReturnType<typeof brokenEndpoints>>;
      before(async () => {
        endpoints = await brokenEndpoints();
      });
      after(() => endpoints.stop());

      const kinds = ["closed", "silent", "chainIdOnly", "rateLimited", "garbage"] as const;
      for (const kind of kinds) {
        it(`${kind}: registryVersion, registryVerifyItem and genesisHash reject with CHAIN_UNAVAILABLE within the deadline, never "1"`, async () => {
          const broken = makeReader(endpoints[kind], { timeoutMs: 500 });
          try {
            const [content, metadata] = tree.at(0)!;
            const calls = {
              registryVersion: () => broken.registryVersion(registries.v1),
              registryVerifyItem: () => broken.registryVerifyItem(registries.v2, tree.root, content!, metadata!, tree.getProof(0)),
              genesisHash: () => broken.genesisHash(),
            };
            for (const [name, call] of Object.entries(calls)) {
              const started = Date.now();
              const outcome = await call().then(
                (value) => ({ value }),
                (error: unknown) => ({ error }),
              );
              expect(
                "error" in outcome && isAppError(outcome.error, Errors.CHAIN_UNAVAILABLE),
                `${name}: ${JSON.stringify(outcome)}`,
              ).to.equal(true);
              expect(Date.now() - started, name).to.be.lessThan(2000);
            }
          } finally {
            broken.close();
          }
        });
      }
    });
  });
