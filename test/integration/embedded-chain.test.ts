/**
 * The embedded chain (issue: foundation): anvil keeps the chain across restarts, even a kill -9,
 * leaves no process behind, and the deploy script writes the record the service reads.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { Contract, Wallet } from "ethers";
import { rpcProvider } from "../../src/adapters/chain/provider.ts";
import { ANVIL_DEV_PRIVATE_KEY, startAnvil, type AnvilChain } from "../../src/adapters/chain/anvil.ts";
import { registryArtifact } from "../../src/adapters/chain/artifact.ts";
import { deployRegistry, readDeployment } from "../../src/adapters/chain/deployment.ts";
import { tempDir } from "../helpers/temp.ts";

const run = promisify(execFile);

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z "); // a zombie is not running
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("embedded chain (anvil with its state on disk)", function () {
  this.timeout(60_000);
  const dir = tempDir("chain-");
  const chains: AnvilChain[] = [];
  after(async () => {
    await Promise.all(chains.map((c) => c.stop()));
    dir.remove();
  });

  async function start() {
    const chain = await startAnvil({ stateDir: join(dir.path, "chain"), port: 0 });
    chains.push(chain);
    return chain;
  }

  it("keeps the registry and its anchors across a kill -9 of the chain, and across a clean stop", async () => {
    const first = await start();
    const provider = rpcProvider(first.rpcUrl);
    const signer = new Wallet(ANVIL_DEV_PRIVATE_KEY, provider);
    const record = await deployRegistry(signer, registryArtifact, { network: "embedded" });
    const registry = new Contract(record.address, registryArtifact.abi, signer);
    const root = "0x" + "ab".repeat(32);
    const receipt = await (await registry.getFunction("anchor")(root)).wait();
    const block = await provider.getBlock(receipt.blockNumber);
    provider.destroy();

    await new Promise((r) => setTimeout(r, 1500)); // anvil writes its state every second
    process.kill(first.pid, "SIGKILL");
    await waitUntil(() => !isRunning(first.pid));

    const second = await start();
    const p2 = rpcProvider(second.rpcUrl);
    const again = new Contract(record.address, registryArtifact.abi, p2);
    const [timestamp, blockNumber] = await again.getFunction("anchorOf")(root);
    expect(Number(timestamp)).to.equal(block!.timestamp);
    expect(Number(blockNumber)).to.equal(receipt.blockNumber);
    // The block itself survives too, so that a receipt's block hash can still be checked.
    expect((await p2.getBlock(receipt.blockNumber))!.hash).to.equal(block!.hash);
    p2.destroy();

    await second.stop();
    expect(isRunning(second.pid)).to.equal(false);
    const third = await start();
    const p3 = rpcProvider(third.rpcUrl);
    const [t3] = await new Contract(record.address, registryArtifact.abi, p3).getFunction("anchorOf")(root);
    expect(Number(t3)).to.equal(block!.timestamp);
    p3.destroy();
    await third.stop();
  });

  it("listens on 127.0.0.1 only", async () => {
    const chain = await start();
    expect(new URL(chain.rpcUrl).hostname).to.equal("127.0.0.1");
    await chain.stop();
  });

  it("leaves no chain running when the service process is killed with -9", async () => {
    const script = `
      import { startAnvil } from ${JSON.stringify(new URL("../../src/adapters/chain/anvil.ts", import.meta.url).href)};
      const chain = await startAnvil({ stateDir: ${JSON.stringify(join(dir.path, "orphan"))}, port: 0 });
      console.log(chain.pid);
      setInterval(() => {}, 1000);`;
    const child = (await import("node:child_process")).spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const pid = await new Promise<number>((resolve) => child.stdout!.once("data", (d) => resolve(Number(String(d).trim()))));
    expect(isRunning(pid)).to.equal(true);
    child.kill("SIGKILL");
    await waitUntil(() => !isRunning(pid));
  });

  it("stops a chain left running on the same folder before starting a new one", async () => {
    const leftover = await start();
    const next = await start(); // same state folder: must not fail on the port or the state file
    await waitUntil(() => !isRunning(leftover.pid));
    expect(isRunning(next.pid)).to.equal(true);
    await next.stop();
  });

  it("deploys with `npm run deploy` and writes deployments/<network>.json with what the service reads", async function () {
    this.timeout(120_000);
    const chain = await start();
    const out = join(dir.path, "deployments");
    await run("npx", ["hardhat", "run", "--build-profile", "production", "--network", "custom", "scripts/deploy.ts"], {
      env: { ...process.env, DEPLOY_RPC_URL: chain.rpcUrl, DEPLOY_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEY, DEPLOYMENTS_DIR: out },
    });
    const record = readDeployment(join(out, "custom.json"))!;
    expect(record).to.include({ chainId: 31337, network: "custom", deployer: new Wallet(ANVIL_DEV_PRIVATE_KEY).address });
    expect(record.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(record.blockNumber).to.be.greaterThan(0);
    expect(record.abi).to.be.an("array").that.is.not.empty;
    const provider = rpcProvider(chain.rpcUrl);
    expect(await provider.getCode(record.address)).to.not.equal("0x");
    provider.destroy();
    await chain.stop();
    expect(existsSync(join(out, "custom.json.tmp"))).to.equal(false);
  });
});
