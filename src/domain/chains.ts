/**
 * The chains a receipt may name, as a verifier must know them: a chain id alone proves nothing (anyone
 * can start a chain with any id and any history), so a known public chain is recognised by the hash of
 * its block 0, which no one can reproduce. Development chains (anvil's and Hardhat's 31337, Ganache's
 * 1337, and any the operator names) are anyone's: an anchor there proves nothing to a third party.
 *
 * Genesis hashes: Ethereum and Sepolia as in go-ethereum, Nethermind and reth; OP Mainnet, Base and
 * Arbitrum One as their clients (reth's op chain specs, Nitro) and explorers give block 0; Polygon PoS as
 * in bor's chain config. `finalityDepth` is the number of blocks this verifier waits for before it calls
 * an anchor final: a conservative rule of thumb, not the chain's own protocol (on the rollups, finality
 * comes from Ethereum; an hour of blocks covers it).
 *
 * `timeSlackSeconds`: block times are whole seconds, and a block's time may precede the moment its
 * transactions were known: on Ethereum a block's time is the start of its 12-second slot, and its
 * transactions may have arrived during the slot; on the rollups and Polygon, within the block interval;
 * a development chain (anvil) stamps the second it mines in by its own clock, which runs up to a second
 * behind the machine's (measured: a block stamped 1.98 s before its transaction was sent). So an anchor
 * proves the root existed no later than the block time plus this slack, less a millisecond, and that is
 * the time we state.
 */
export type ChainTrust = "public" | "development" | "unknown";

export interface ChainInfo {
  chainId: number;
  name: string;
  trust: ChainTrust;
  /** The hash of block 0, as every endpoint of this chain serves it. */
  genesisHash?: string;
  finalityDepth?: number;
  /**
   * A time the chain certainly did not exist before (Unix seconds; the first of the month of its block 0
   * or earlier): a block dated before it is not this chain's, whatever the endpoint says of block 0.
   */
  notBefore?: number;
  /** See above: how far past its block time an anchor's proof reaches. */
  timeSlackSeconds: number;
  /** What else a reader of a time on this chain should know. */
  timeNote?: string;
  /** Base URL of a public block explorer. */
  explorer?: string;
}

const DEVELOPMENT_CLOCK_NOTE = "its clock is its operator's: anvil's runs up to a second behind the machine it runs on";

const SEQUENCER_NOTE = "its block times are set by its sequencer, which the chain's rules bind to Ethereum's time only loosely";

const PUBLIC: Record<number, Omit<ChainInfo, "chainId" | "trust">> = {
  1: {
    name: "Ethereum Mainnet",
    notBefore: 1435708800, // 2015-07-01
    timeSlackSeconds: 12,
    genesisHash: "0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3",
    finalityDepth: 64,
    explorer: "https://etherscan.io",
  },
  11155111: {
    name: "Sepolia (Ethereum test network)",
    notBefore: 1633046400, // 2021-10-01
    timeSlackSeconds: 12,
    genesisHash: "0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9",
    finalityDepth: 64,
    explorer: "https://sepolia.etherscan.io",
  },
  10: {
    name: "OP Mainnet",
    notBefore: 1609459200, // 2021-01-01
    timeSlackSeconds: 2,
    timeNote: SEQUENCER_NOTE,
    genesisHash: "0x7ca38a1916c42007829c55e69d3e9a73265554b586a499015373241b8a3fa48b",
    finalityDepth: 1800,
    explorer: "https://optimistic.etherscan.io",
  },
  8453: {
    name: "Base",
    notBefore: 1685577600, // 2023-06-01
    timeSlackSeconds: 2,
    timeNote: SEQUENCER_NOTE,
    genesisHash: "0xf712aa9241cc24369b143cf6dce85f0902a9731e70d66818a3a5845b296c73dd",
    finalityDepth: 1800,
    explorer: "https://basescan.org",
  },
  42161: {
    name: "Arbitrum One",
    notBefore: 1619827200, // 2021-05-01
    timeSlackSeconds: 1,
    timeNote: SEQUENCER_NOTE,
    genesisHash: "0x7ee576b35482195fc49205cec9af72ce14f003b9ae69f6ba0faef4514be8b442",
    finalityDepth: 14_400,
    explorer: "https://arbiscan.io",
  },
  137: {
    name: "Polygon PoS",
    notBefore: 1588291200, // 2020-05-01
    timeSlackSeconds: 2,
    genesisHash: "0xa9c28ce2141b56c474f1dc504bee9b01eb1bd7d1a507580d5519d4437a97de1b",
    finalityDepth: 256,
    explorer: "https://polygonscan.com",
  },
};

/** Chain ids of local development chains: anvil and Hardhat (31337), Ganache (1337). */
export const DEVELOPMENT_CHAIN_IDS: readonly number[] = [31337, 1337];

/** What is known of a chain; `development` adds the operator's own development chain ids. */
export function chainInfo(chainId: number, development: readonly number[] = []): ChainInfo {
  if (DEVELOPMENT_CHAIN_IDS.includes(chainId) || development.includes(chainId)) {
    const name = chainId === 31337 ? "local development chain (anvil)" : `development chain ${chainId}`;
    return { chainId, name, trust: "development", timeSlackSeconds: 2, timeNote: DEVELOPMENT_CLOCK_NOTE };
  }
  const known = PUBLIC[chainId];
  // An unknown chain: the slack of Ethereum's slots, the longest of the chains above.
  return known ? { chainId, trust: "public", ...known } : { chainId, name: `EVM chain ${chainId}`, trust: "unknown", timeSlackSeconds: 12 };
}

/** The last millisecond an anchor in a block of this time proves (see timeSlackSeconds). */
export function anchorNoLaterThan(chain: ChainInfo, blockTimestamp: number): Date {
  return new Date((blockTimestamp + chain.timeSlackSeconds) * 1000 - 1);
}

/** How the bound was reached, in a sentence's tail: "block times are whole seconds" and so on. */
export function anchorPrecision(chain: ChainInfo): string {
  const base =
    chain.timeSlackSeconds === 1
      ? "block times are whole seconds"
      : `block times are whole seconds, and on ${chain.name} a block's time may precede its transactions by less than ${chain.timeSlackSeconds} s`;
  return chain.timeNote ? `${base}; ${chain.timeNote}` : base;
}

/** What a development chain's anchor proves, said the same way everywhere. */
export const DEVELOPMENT_CHAIN_WARNING = "development chain — proves nothing to a third party";
