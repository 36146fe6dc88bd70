/**
 * Deploys EvidenceRegistry and writes deployments/<network>.json, the record the service reads.
 *
 *   npm run deploy -- --network localhost
 *   DEPLOY_RPC_URL=… DEPLOY_PRIVATE_KEY=… npm run deploy -- --network custom
 *
 * REGISTRY_ADMIN and REGISTRY_ANCHORER (addresses) default to the deployer. DEPLOYMENTS_DIR changes
 * where the record is written (tests use a temp folder).
 */
import { join } from "node:path";
import hre, { network } from "hardhat";
import { deployRegistry, writeDeployment } from "../src/adapters/chain/deployment.ts";

const connection = await network.create();
const [signer] = await connection.ethers.getSigners();
const built = await hre.artifacts.readArtifact("EvidenceRegistry");
const record = await deployRegistry(
  signer!,
  { abi: built.abi, bytecode: built.bytecode },
  {
    network: connection.networkName,
    admin: process.env.REGISTRY_ADMIN,
    anchorer: process.env.REGISTRY_ANCHORER,
  },
);
const file = join(process.env.DEPLOYMENTS_DIR ?? "deployments", `${connection.networkName}.json`);
writeDeployment(file, record);
console.log(`EvidenceRegistry deployed at ${record.address} on chain ${record.chainId} (tx ${record.txHash}); wrote ${file}`);
