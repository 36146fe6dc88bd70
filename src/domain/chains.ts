/** Names and block explorers of the chains a receipt may name, for people reading a certificate. */
export interface ChainInfo {
  name: string;
  /** Base URL of a public block explorer, if the chain has one. */
  explorer?: string;
  /** false: only its operator can read it, so it proves nothing to a third party. */
  public: boolean;
}

const KNOWN: Record<number, ChainInfo> = {
  1: { name: "Ethereum Mainnet", explorer: "https://etherscan.io", public: true },
  10: { name: "OP Mainnet", explorer: "https://optimistic.etherscan.io", public: true },
  137: { name: "Polygon PoS", explorer: "https://polygonscan.com", public: true },
  8453: { name: "Base", explorer: "https://basescan.org", public: true },
  42161: { name: "Arbitrum One", explorer: "https://arbiscan.io", public: true },
  11155111: { name: "Sepolia (Ethereum test network)", explorer: "https://sepolia.etherscan.io", public: true },
  31337: { name: "Local development chain (anvil)", public: false },
};

export function chainInfo(chainId: number): ChainInfo {
  return KNOWN[chainId] ?? { name: `EVM chain ${chainId}`, public: true };
}
