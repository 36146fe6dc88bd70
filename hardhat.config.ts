import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

// Nothing can be downloaded at build time, so Hardhat compiles with the wasm solc from the npm
// package `solc` instead of fetching a native build. Hardhat needs an absolute path here.
const require = createRequire(import.meta.url);
const solcjs = require.resolve("solc/soljson.js");
const SOLC_VERSION: string = require("solc/package.json").version;

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: { version: SOLC_VERSION, path: solcjs },
      production: {
        version: SOLC_VERSION,
        path: solcjs,
        settings: { optimizer: { enabled: true, runs: 10_000 } },
      },
    },
  },
  paths: {
    tests: { mocha: "test/contracts" },
  },
  networks: {
    // The embedded chain of `npm start` (anvil on 127.0.0.1:8545, whose dev accounts are unlocked).
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    // Any other EVM chain: URL and key come from the environment or Hardhat's keystore, never this file.
    custom: {
      type: "http",
      chainType: "l1",
      url: configVariable("DEPLOY_RPC_URL"),
      accounts: [configVariable("DEPLOY_PRIVATE_KEY")],
    },
  },
});
