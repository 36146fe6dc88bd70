/**
 * Copies the production build of EvidenceRegistry (ABI + bytecode) into src/, so that the service can
 * deploy the registry on its embedded chain without Hardhat at run time. Run through
 * `npm run build:contracts`; a unit test fails when the contracts changed and this was not re-run.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { ARTIFACT_PATH, contractsSourceDigest } from "../src/adapters/chain/artifact.ts";

const built = JSON.parse(readFileSync("artifacts/contracts/EvidenceRegistry.sol/EvidenceRegistry.json", "utf8")) as {
  contractName: string;
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
  buildInfoId: string;
};
const buildInfo = JSON.parse(readFileSync(`artifacts/build-info/${built.buildInfoId}.json`, "utf8")) as {
  solcLongVersion: string;
  input: { settings: { optimizer?: unknown; evmVersion?: string } };
};
if (!JSON.stringify(buildInfo.input.settings.optimizer ?? {}).includes('"enabled":true')) {
  throw new Error("Build with the production profile first: hardhat build --build-profile production");
}

const artifact = {
  contractName: built.contractName,
  compiler: `solc ${buildInfo.solcLongVersion}`,
  optimizer: buildInfo.input.settings.optimizer,
  evmVersion: buildInfo.input.settings.evmVersion ?? null,
  sourceSha256: contractsSourceDigest(),
  abi: built.abi,
  bytecode: built.bytecode,
  deployedBytecode: built.deployedBytecode,
};
writeFileSync(ARTIFACT_PATH, JSON.stringify(artifact, null, 2) + "\n");
console.log(`wrote ${ARTIFACT_PATH} (${artifact.compiler}, sources ${artifact.sourceSha256.slice(0, 12)}…)`);
