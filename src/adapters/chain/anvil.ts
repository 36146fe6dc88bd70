/**
 * The embedded local chain: anvil (from the npm package `@foundry-rs/anvil`) in its own process, bound to
 * loopback, with its whole chain (blocks, receipts, state) saved to a file every second and on exit, so
 * that receipts issued before a restart still verify after it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { once } from "node:events";
import { AppError, Errors } from "../../errors.ts";

export interface AnvilOptions {
  /** Folder for the chain state file (created if missing: anvil silently writes nothing otherwise). */
  stateDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Seconds between blocks; 0 mines one block per transaction (anvil's automine). */
  blockTime?: number;
  /** @default EMBEDDED_CHAIN_ID (31337) */
  chainId?: number;
  /** The genesis block's Unix time; blocks follow from it (tests of back-dated chains). @default now */
  genesisTimestamp?: number;
  /** How long to wait for the RPC to come up. */
  startTimeoutMs?: number;
  /** Receives anvil's own log lines. */
  onLog?: (line: string) => void;
  /** Start anvil again, on the same port and state, when it dies without being stopped. */
  respawn?: boolean;
  /** Told of what the supervisor does: a chain that died, was restarted, or had its state set aside. */
  onEvent?: (event: { kind: "exited" | "respawned" | "respawn-failed" | "state-set-aside"; detail: string }) => void;
}

export interface AnvilChain {
  readonly rpcUrl: string;
  /** The running anvil's pid (a respawned chain has a new one). */
  readonly pid: number;
  readonly stateFile: string;
  /**
   * The latest block the state file holds, read from the head of the file; -1 before the first write;
   * null if the file's head is not what this version of anvil writes (then nobody can tell). anvil
   * rewrites the file every second: a block it does not hold yet would be lost if anvil were killed now.
   */
  persistedBlock(): number | null;
  /** SIGTERM, which makes anvil write its state, then waits for it to exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
}

export const EMBEDDED_CHAIN_ID = 31337;

/** anvil's first development account: a publicly known key, used only on the embedded chain. */
export const ANVIL_DEV_PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

export function anvilBinary(): string {
  // The wrapper package's bin (bin.mjs) re-spawns the binary and orphans it on signals: use the
  // prebuilt platform package's binary directly.
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const require = createRequire(import.meta.url);
  try {
    return join(require.resolve(`${pkg}/package.json`).replace(/package\.json$/, ""), "bin", "anvil");
  } catch (cause) {
    throw new AppError(Errors.CHAIN_UNAVAILABLE, { reason: `${pkg} is not installed; run npm run setup` }, cause);
  }
}

export async function startAnvil(options: AnvilOptions): Promise<AnvilChain> {
  mkdirSync(options.stateDir, { recursive: true });
  const stateFile = join(options.stateDir, "anvil-state.json");
  const pidFile = join(options.stateDir, "anvil.pid");
  await stopLeftover(pidFile);

  let { child, rpcUrl } = await launchOrSetStateAside(options, stateFile, pidFile, options.port);
  const port = Number(new URL(rpcUrl).port);
  let stopping = false;
  let stopped: Promise<void> | undefined;

  // The supervisor: a chain killed behind the service's back (kill -9, the OOM killer) comes back on
  // the same port with the state it last saved; the anchors it lost are found by the anchor re-check.
  const supervise = (current: ChildProcess) => {
    current.once("exit", async (code, signal) => {
      if (stopping || !options.respawn) return;
      options.onEvent?.({ kind: "exited", detail: `anvil (pid ${current.pid}) exited (${signal ?? `code ${code}`}); restarting it` });
      for (let attempt = 0, delay = 500; !stopping; attempt++, delay = Math.min(delay * 2, 30_000)) {
        await sleep(delay);
        if (stopping) return;
        try {
          ({ child } = await launchOrSetStateAside(options, stateFile, pidFile, port));
          if (stopping) {
            await terminate(child);
            return;
          }
          options.onEvent?.({ kind: "respawned", detail: `anvil restarted (pid ${child.pid}) on ${rpcUrl}` });
          supervise(child);
          return;
        } catch (error) {
          options.onEvent?.({ kind: "respawn-failed", detail: `attempt ${attempt + 1}: ${(error as Error).message.split("\n")[0]}` });
        }
      }
    });
  };
  supervise(child);

  return {
    rpcUrl,
    get pid() {
      return child.pid!;
    },
    stateFile,
    persistedBlock: () => persistedBlock(stateFile),
    stop() {
      stopping = true;
      stopped ??= terminate(child).finally(() => rmSync(pidFile, { force: true }));
      return stopped;
    },
  };
}

/**
 * Starts anvil on the state file. A state file anvil cannot load (cut short by a kill in the middle of
 * a write: anvil rewrites it in place) is set aside and the chain starts empty, rather than never.
 */
async function launchOrSetStateAside(options: AnvilOptions, stateFile: string, pidFile: string, port: number) {
  try {
    return await launch(options, stateFile, pidFile, port);
  } catch (error) {
    if (!existsSync(stateFile) || stateReadable(stateFile)) throw error;
    const aside = `${stateFile}.unreadable-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    renameSync(stateFile, aside);
    options.onEvent?.({
      kind: "state-set-aside",
      detail: `the chain state could not be read; it was moved to ${aside} and the chain starts empty`,
    });
    return launch(options, stateFile, pidFile, port);
  }
}

function stateReadable(stateFile: string): boolean {
  try {
    JSON.parse(readFileSync(stateFile, "utf8"));
    return true;
  } catch {
    return false;
  }
}

async function launch(
  options: AnvilOptions,
  stateFile: string,
  pidFile: string,
  port: number,
): Promise<{ child: ChildProcess; rpcUrl: string }> {
  const args = [
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--state",
    stateFile,
    "--state-interval",
    "1",
    "--chain-id",
    String(options.chainId ?? EMBEDDED_CHAIN_ID),
  ];
  if (options.blockTime && options.blockTime > 0) args.push("--block-time", String(options.blockTime));
  if (options.genesisTimestamp !== undefined) args.push("--timestamp", String(options.genesisTimestamp));

  // setpriv --pdeathsig makes the kernel send SIGTERM to anvil if this process dies without cleaning
  // up (kill -9), so no chain is ever left running behind a crashed service.
  const binary = anvilBinary();
  const [cmd, argv] = existsSync("/usr/bin/setpriv")
    ? ["/usr/bin/setpriv", ["--pdeathsig", "TERM", "--", binary, ...args]]
    : [binary, args];
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  writeFileSync(pidFile, String(child.pid));
  return { child, rpcUrl: await waitForListening(child, options) };
}

const STATE_HEAD = /^\{"block":\{"number":"0x([0-9a-fA-F]+)"/;

function persistedBlock(stateFile: string): number | null {
  let head: string;
  try {
    const fd = openSync(stateFile, "r");
    try {
      const buffer = Buffer.alloc(64);
      head = buffer.subarray(0, readSync(fd, buffer, 0, 64, 0)).toString("latin1");
    } finally {
      closeSync(fd);
    }
  } catch {
    return -1;
  }
  const match = STATE_HEAD.exec(head);
  return match ? parseInt(match[1]!, 16) : head.length ? null : -1;
}

function waitForListening(child: ChildProcess, options: AnvilOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(`anvil did not start within ${options.startTimeoutMs ?? 15_000} ms`);
    }, options.startTimeoutMs ?? 15_000);
    const fail = (reason: string) => {
      clearTimeout(timer);
      reject(new AppError(Errors.CHAIN_UNAVAILABLE, { reason: `${reason}\n${output.slice(-2000)}` }));
    };
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split("\n")) if (line.trim()) options.onLog?.(line);
      const match = /Listening on (127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.off("exit", onExit);
        resolve(`http://${match[1]}`);
      }
    };
    const onExit = (code: number | null) => fail(`anvil exited with code ${code} before listening`);
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", onExit);
    child.once("error", (error) => fail(error.message));
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const grace = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(grace);
}

/**
 * A chain left running by a previous run on the same folder (on a system without setpriv, its parent
 * killed with -9): stop it and let it save its state before a new one loads that state.
 */
async function stopLeftover(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8"));
  const isOurAnvil = () => {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      return cmdline.includes("anvil") && cmdline.includes(dirname(pidFile));
    } catch {
      return false;
    }
  };
  if (isOurAnvil()) {
    process.kill(pid, "SIGTERM");
    for (let waited = 0; isOurAnvil() && waited < 10_000; waited += 100) await sleep(100);
    if (isOurAnvil()) process.kill(pid, "SIGKILL");
  }
  rmSync(pidFile, { force: true });
}
