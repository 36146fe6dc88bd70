/** What a block time proves, which chains are which, and how often a TSA is asked again. */
import { expect } from "chai";
import { anchorNoLaterThan, anchorPrecision, chainInfo } from "../../src/domain/chains.ts";
import { retryDelayMs } from "../../src/use-cases/time-stamp-roots.ts";

describe("chains and what their block times prove", () => {
  it("knows the public chains by block 0, and development chains by id (31337, 1337 and the operator's)", () => {
    expect(chainInfo(11_155_111)).to.include({
      trust: "public",
      name: "Sepolia (Ethereum test network)",
      genesisHash: "0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9",
      finalityDepth: 64,
      timeSlackSeconds: 12,
    });
    expect(chainInfo(1).genesisHash).to.equal("0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3");
    expect([10, 8453, 42161, 137].map((id) => chainInfo(id).trust)).to.deep.equal(["public", "public", "public", "public"]);
    expect(chainInfo(31337)).to.include({ trust: "development", name: "local development chain (anvil)" });
    expect(chainInfo(1337).trust).to.equal("development");
    expect(chainInfo(4242).trust).to.equal("unknown");
    expect(chainInfo(4242, [4242])).to.include({ trust: "development", name: "development chain 4242" });
  });

  it("proves the last millisecond of the block's second, plus the chain's slack, and says why", () => {
    const t = 1_795_794_576; // 2026-11-27T15:49:36Z
    expect(anchorNoLaterThan(chainInfo(31337), t).toISOString()).to.equal("2026-11-27T15:49:37.999Z");
    expect(anchorNoLaterThan(chainInfo(1), t).toISOString()).to.equal("2026-11-27T15:49:47.999Z");
    expect(anchorPrecision(chainInfo(31337))).to.equal(
      "block times are whole seconds, and on local development chain (anvil) a block's time may precede its transactions by less than 2 s; its clock is its operator's: anvil's runs up to a second behind the machine it runs on",
    );
    expect(anchorPrecision(chainInfo(1))).to.equal(
      "block times are whole seconds, and on Ethereum Mainnet a block's time may precede its transactions by less than 12 s",
    );
    expect(anchorPrecision(chainInfo(8453))).to.match(/set by its sequencer/);
  });
});

describe("asking a TSA again", () => {
  it("waits the base delay, doubling at each failure, never more than an hour", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n))).to.deep.equal([5000, 10_000, 20_000, 40_000]);
    expect(retryDelayMs(2, 300)).to.equal(600);
    expect(retryDelayMs(40)).to.equal(3_600_000);
  });
});
