/**
 * Which chain and which registry: the embedded anvil chain (started here, registry deployed on first
 * start or whenever the recorded address has no code), or any EVM JSON-RPC endpoint with the registry
 * named by REGISTRY_ADDRESS or by the deployment record of that chain in deployments/.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Wallet } from "ethers";
import type { Logger } from "pino";
import type { Config } from "../../config.ts";
import { AppError, Errors } from "../../errors.ts";
import { ANVIL_DEV_PRIVATE_KEY, EMBEDDED_CHAIN_ID, startAnvil, type AnvilChain } from "./anvil.ts";
import { registryArtifact } from "./artifact.ts";
import { deployRegistry, readDeployment, writeDeployment, type DeploymentRecord } from "./deployment.ts";
import { rpcCall, rpcProvider } from "./provider.ts";
import { RegistryClient } from "./registry-client.ts";

export const DEPLOYMENTS_DIR = fileURLToPath(new URL("../../../deployments/", import.meta.url));

export interface ConnectedChain {
  client: RegistryClient;
  rpcUrl: string;
  deployment: Pick<DeploymentRecord, "address" | "chainId" | "network">;
  /** Set when the chain is the embedded one, which the service must stop on shutdown. */
  embedded?: AnvilChain;
}

export async function connectChain(config: Config, log: Logger): Promise<ConnectedChain> {
  return config.chainRpcUrl ? connectExternal(config, config.chainRpcUrl) : startEmbedded(config, log);
}

async function startEmbedded(config: Config, log: Logger): Promise<ConnectedChain> {
  const chainDir = join(config.dataDir, "chain");
  const chainLog = log.child({ component: "anvil" });
  const anvil = await startAnvil({
    stateDir: chainDir,
    port: config.chainPort,
    // More than one confirmation needs blocks to keep coming: mine one a second.
    blockTime: config.confirmations > 1 ? 1 : 0,
    onLog: (line) => chainLog.debug(line),
  });
  try {
    const provider = rpcProvider(anvil.rpcUrl, EMBEDDED_CHAIN_ID);
    const signer = new Wallet(ANVIL_DEV_PRIVATE_KEY, provider);
    const recordFile = join(chainDir, "deployment.json");
    let record = readDeployment(recordFile);
    if (!record || (await provider.getCode(record.address)) === "0x") {
      record = await deployRegistry(signer, registryArtifact, { network: "embedded" });
      writeDeployment(recordFile, record);
      log.info({ address: record.address }, "registry deployed on the embedded chain");
    }
    provider.destroy();
    const client = new RegistryClient({
      rpcUrl: anvil.rpcUrl,
      chainId: EMBEDDED_CHAIN_ID,
      registryAddress: record.address,
      abi: registryArtifact.abi,
      privateKey: ANVIL_DEV_PRIVATE_KEY,
    });
    return { client, rpcUrl: anvil.rpcUrl, deployment: record, embedded: anvil };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

async function connectExternal(config: Config, rpcUrl: string): Promise<ConnectedChain> {
  let chainId: number;
  try {
    chainId = Number(await rpcCall(rpcUrl, "eth_chainId"));
  } catch (cause) {
    throw new AppError(Errors.CHAIN_UNAVAILABLE, { reason: `CHAIN_RPC_URL does not answer eth_chainId` }, cause);
  }
  const address = config.registryAddress ?? findDeployment(chainId)?.address;
  if (!address) {
    throw new AppError(Errors.CONFIG_INVALID, {
      reason: `no REGISTRY_ADDRESS and no deployment record for chain ${chainId} in deployments/ (run npm run deploy)`,
    });
  }
  const client = new RegistryClient({ rpcUrl, chainId, registryAddress: address, abi: registryArtifact.abi, privateKey: config.anchorPrivateKey! });
  if (!(await client.hasCode())) {
    throw new AppError(Errors.CONFIG_INVALID, { reason: `no contract at registry address ${address} on chain ${chainId}` });
  }
  if (!(await client.canAnchor())) {
    throw new AppError(Errors.CONFIG_INVALID, {
      reason: `ANCHOR_PRIVATE_KEY's account ${client.anchorerAddress} lacks ANCHORER_ROLE on the registry ${address}`,
    });
  }
  return { client, rpcUrl, deployment: { address, chainId, network: `chain-${chainId}` } };
}

function findDeployment(chainId: number): DeploymentRecord | undefined {
  let files: string[] = [];
  try {
    files = readdirSync(DEPLOYMENTS_DIR).filter((f) => f.endsWith(".json"));
  } catch {
    return undefined;
  }
  return files.map((f) => readDeployment(join(DEPLOYMENTS_DIR, f))!).find((r) => r.chainId === chainId);
}
