/**
 * Which chain and which registry: the embedded anvil chain (started here, registry deployed on first
 * start or whenever the recorded address has no code), or any EVM JSON-RPC endpoint with the registry
 * named by REGISTRY_ADDRESS or by the deployment record of that chain in deployments/.
 */
import { readdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Wallet } from "ethers";
import type { Logger } from "pino";
import type { Config } from "../../config.ts";
import { AppError, Errors, isAppError } from "../../errors.ts";
import type { ChainAnchor } from "../../ports/chain-anchor.ts";
import { ANVIL_DEV_PRIVATE_KEY, EMBEDDED_CHAIN_ID, startAnvil, type AnvilChain } from "./anvil.ts";
import { registryArtifact } from "./artifact.ts";
import { deployRegistry, readDeployment, writeDeployment, type DeploymentRecord } from "./deployment.ts";
import { rpcCall, rpcProvider } from "./provider.ts";
import { RegistryClient } from "./registry-client.ts";

export const DEPLOYMENTS_DIR = fileURLToPath(new URL("../../../deployments/", import.meta.url));

export interface ConnectedChain {
  client: ChainAnchor & { close(): Promise<void> };
  rpcUrl: string;
  /** The chain and its registry, once known: an external chain that was down at start is known later. */
  readonly deployment: { address: string | null; chainId: number | null; network: string };
  /** Set when the chain is the embedded one, which the service must stop on shutdown. */
  embedded?: AnvilChain;
}

export async function connectChain(config: Config, log: Logger): Promise<ConnectedChain> {
  return config.chainRpcUrl ? connectExternal(config, config.chainRpcUrl, log) : startEmbedded(config, log);
}

async function startEmbedded(config: Config, log: Logger): Promise<ConnectedChain> {
  const chainDir = join(config.dataDir, "chain");
  const recordFile = join(chainDir, "deployment.json");
  const chainLog = log.child({ component: "anvil" });
  const anvil: AnvilChain = await startAnvil({
    stateDir: chainDir,
    port: config.chainPort,
    // More than one confirmation needs blocks to keep coming: mine one a second.
    blockTime: config.confirmations > 1 ? 1 : 0,
    respawn: true,
    onLog: (line) => chainLog.debug(line),
    onEvent: ({ kind, detail }) => {
      if (kind !== "respawned") return chainLog.error(detail);
      chainLog.warn(detail);
      // A chain restarted from a state saved before the registry was deployed has no registry.
      ensureRegistry(anvil, recordFile, chainLog).catch((error) =>
        chainLog.error({ err: error }, "the registry could not be checked after the restart"),
      );
    },
  });
  try {
    const record = await ensureRegistry(anvil, recordFile, log);
    const client = new RegistryClient({
      rpcUrl: anvil.rpcUrl,
      chainId: EMBEDDED_CHAIN_ID,
      registryAddress: record.address,
      abi: registryArtifact.abi,
      privateKey: ANVIL_DEV_PRIVATE_KEY,
      timeoutMs: config.chainTimeoutMs,
    });
    return { client, rpcUrl: anvil.rpcUrl, deployment: record, embedded: anvil };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

/**
 * The registry on the embedded chain: the recorded one, or deployed now (on first start, or on a chain
 * that lost it), and saved by anvil before anything is anchored on it. Deployed by the first account's
 * first transaction on a new chain, it always lands at the same address.
 */
async function ensureRegistry(anvil: AnvilChain, recordFile: string, log: Pick<Logger, "info" | "error">): Promise<DeploymentRecord> {
  const provider = rpcProvider(anvil.rpcUrl, EMBEDDED_CHAIN_ID);
  try {
    const recorded = readDeployment(recordFile);
    if (recorded && (await provider.getCode(recorded.address)) !== "0x") return recorded;
    const record = await deployRegistry(new Wallet(ANVIL_DEV_PRIVATE_KEY, provider), registryArtifact, { network: "embedded" });
    if (recorded && record.address !== recorded.address) {
      log.error(
        { recorded: recorded.address, deployed: record.address },
        "the embedded chain lost its registry, and it was deployed again at another address: restart the service",
      );
    }
    writeDeployment(recordFile, record);
    log.info({ address: record.address }, "registry deployed on the embedded chain");
    for (const started = Date.now(); (anvil.persistedBlock() ?? Infinity) < record.blockNumber && Date.now() - started < 5000; ) {
      await sleep(100);
    }
    return record;
  } finally {
    provider.destroy();
  }
}

/**
 * An external chain is checked at start (its chain id, the registry's code, the anchoring key's role):
 * a chain that answers but cannot be anchored to stops the start (CONFIG_INVALID). A chain that does not
 * answer does not: the service starts, accepts and stores uploads, says so on /readyz, and connects
 * (with the same checks) on the anchoring worker's next try.
 */
async function connectExternal(config: Config, rpcUrl: string, log: Logger): Promise<ConnectedChain> {
  const chain = new ExternalChain(config, rpcUrl);
  try {
    await chain.connected();
  } catch (error) {
    if (!isAppError(error, Errors.CHAIN_UNAVAILABLE)) throw error;
    log.warn({ rpcUrl, err: error }, "the chain does not answer; starting without it, and anchoring once it does");
  }
  return { client: chain, rpcUrl, deployment: chain.deployment, embedded: undefined };
}

class ExternalChain implements ChainAnchor {
  readonly #config: Config;
  readonly #rpcUrl: string;
  #client: RegistryClient | undefined;
  #connecting: Promise<RegistryClient> | undefined;
  #chainId: number | null = null;

  constructor(config: Config, rpcUrl: string) {
    this.#config = config;
    this.#rpcUrl = rpcUrl;
  }

  get deployment() {
    const address = this.#client?.registryAddress ?? this.#config.registryAddress ?? null;
    return { address, chainId: this.#chainId, network: this.#chainId === null ? "unknown" : `chain-${this.#chainId}` };
  }

  get registryAddress(): string {
    if (!this.#client) throw new AppError(Errors.CHAIN_UNAVAILABLE, { reason: "not connected yet" });
    return this.#client.registryAddress;
  }

  /** The registry client, connecting first (once at a time) if need be. */
  connected(): Promise<RegistryClient> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connect(): Promise<RegistryClient> {
    const rpcUrl = this.#rpcUrl;
    let chainId: number;
    try {
      chainId = Number(await rpcCall(rpcUrl, "eth_chainId", [], this.#config.chainTimeoutMs));
    } catch (cause) {
      throw new AppError(Errors.CHAIN_UNAVAILABLE, { reason: "CHAIN_RPC_URL does not answer eth_chainId" }, cause);
    }
    this.#chainId = chainId;
    const address = this.#config.registryAddress ?? findDeployment(chainId)?.address;
    if (!address) {
      throw new AppError(Errors.CONFIG_INVALID, {
        reason: `no REGISTRY_ADDRESS and no deployment record for chain ${chainId} in deployments/ (run npm run deploy)`,
      });
    }
    const client = new RegistryClient({
      rpcUrl,
      chainId,
      registryAddress: address,
      abi: registryArtifact.abi,
      privateKey: this.#config.anchorPrivateKey!,
      timeoutMs: this.#config.chainTimeoutMs,
    });
    let problem: AppError | undefined;
    try {
      if (!(await client.hasCode()))
        problem = new AppError(Errors.CONFIG_INVALID, { reason: `no contract at registry address ${address} on chain ${chainId}` });
      else if (!(await client.canAnchor())) {
        problem = new AppError(Errors.CONFIG_INVALID, {
          reason: `ANCHOR_PRIVATE_KEY's account ${client.anchorerAddress} lacks ANCHORER_ROLE on the registry ${address}`,
        });
      }
    } catch (cause) {
      problem = new AppError(Errors.CHAIN_UNAVAILABLE, { reason: `the registry at ${address} could not be read` }, cause);
    }
    if (problem) {
      await client.close();
      throw problem;
    }
    this.#client = client;
    return client;
  }

  async chainId() {
    return (await this.connected()).chainId();
  }
  async registryVersion() {
    return (await this.connected()).registryVersion();
  }
  async anchorOf(root: string) {
    return (await this.connected()).anchorOf(root);
  }
  async signAnchor(root: string) {
    return (await this.connected()).signAnchor(root);
  }
  async broadcast(rawTx: string) {
    return (await this.connected()).broadcast(rawTx);
  }
  async minedTx(txHash: string) {
    return (await this.connected()).minedTx(txHash);
  }
  async findAnchorTx(root: string, fromBlock: number) {
    return (await this.connected()).findAnchorTx(root, fromBlock);
  }
  async nonceUsed(nonce: number) {
    return (await this.connected()).nonceUsed(nonce);
  }
  async blockNumber() {
    return (await this.connected()).blockNumber();
  }
  async block(blockNumber: number) {
    return (await this.connected()).block(blockNumber);
  }
  async close() {
    await this.#client?.close();
  }
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
