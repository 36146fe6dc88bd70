/**
 * The service as its own process (`node src/main.ts`, what `npm start` runs), so that tests can kill
 * it with -9 at chosen moments, as a power cut or the OOM killer would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ADMIN_KEY } from "./service.ts";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

export interface ServiceProcess {
  url: string;
  rpcUrl: string;
  registry: string;
  child: ChildProcess;
  anvilPid: () => number | undefined;
  kill9(): Promise<void>;
  stop(): Promise<number | null>;
  output: () => string;
}

export async function spawnService(dataDir: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: "0",
      CHAIN_PORT: "0",
      BOOTSTRAP_API_KEY: ADMIN_KEY,
      LOG_LEVEL: "info",
      ANCHOR_INTERVAL_MS: "100",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const listening = await new Promise<Record<string, any>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output}`)), 30_000);
    const onData = () => {
      for (const line of output.split("\n")) {
        if (line.includes('"evidence service listening"')) {
          clearTimeout(timer);
          child.stdout!.off("data", onData);
          resolve(JSON.parse(line));
        }
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}:\n${output}`));
    });
  });
  const anvilPid = () => {
    try {
      return Number(readFileSync(`${dataDir}/chain/anvil.pid`, "utf8"));
    } catch {
      return undefined;
    }
  };
  return {
    url: listening.url,
    rpcUrl: listening.chain.rpcUrl,
    registry: listening.chain.registry,
    child,
    anvilPid,
    output: () => output,
    async kill9() {
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code] = await exited;
      return code as number | null;
    },
  };
}
