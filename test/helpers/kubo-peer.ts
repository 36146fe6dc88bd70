/**
 * A real IPFS node that serves Kubo's RPC API, for the Kubo adapter's integration tests. No Kubo binary
 * can be installed here (the npm `kubo` package downloads it at install time), so this is the legacy
 * js-ipfs daemon (npm `ipfs`), which serves the same /api/v0 calls with the same CIDs and pins. It lives
 * in test/kubo-peer/ with its own lockfile, never among the service's dependencies, and is installed
 * there the first time a test asks for it (about a minute, once; then node_modules is reused).
 *
 * Each peer runs in a fresh repo (IPFS_PATH) in a temp folder: offline, no swarm address, no bootstrap,
 * delegate, preload, DHT, pubsub, mDNS or UPnP, and its API, gateway and gRPC listeners on ports the
 * kernel picks on 127.0.0.1. Every step has a deadline.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ipaddr from "ipaddr.js";
import { tempDir } from "./temp.ts";

const PEER_DIR = join(import.meta.dirname, "..", "kubo-peer");
const CLI = join(PEER_DIR, "node_modules", "ipfs", "src", "cli.js");
/** Written after a complete install: the hash of the lockfile it installed. */
const INSTALLED_MARK = join(PEER_DIR, "node_modules", ".installed-lock-sha256");

/** `npm ci` of the peer takes 30 to 50 s here (994 packages); a before() hook that may install needs this much. */
export const KUBO_PEER_INSTALL_TIMEOUT_MS = 10 * 60_000;
const INIT_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 60_000;

export interface KuboPeer {
  /** The RPC API, for IPFS_API_URL: http://127.0.0.1:<port>. */
  apiUrl: string;
  pid: number;
  /** Stops the daemon (SIGTERM, then SIGKILL after a grace period) and removes its repo. */
  stop(): Promise<void>;
  /** SIGSTOP: the daemon's sockets stay open and the kernel still accepts connections; nothing answers. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** The node's own CLI against this daemon (`jsipfs --api … <args>`); resolves with its stdout. */
  cli(args: string[]): Promise<string>;
  /** Every TCP/UDP socket the daemon holds, as /proc/net tells (for checking it stays on loopback). */
  sockets(): PeerSocket[];
  /**
   * The connections to the API port, from the kernel's side, so they show even while the daemon is
   * frozen: what arrived that the daemon has not read yet, and whether the client has closed its end.
   */
  apiConnections(): { clientPort: number; state: TcpState; unread: number }[];
}

export interface PeerSocket {
  protocol: "tcp" | "tcp6" | "udp" | "udp6";
  local: { address: string; port: number };
  remote: { address: string; port: number };
  /** UDP sockets show as CLOSE (or ESTABLISHED, once connected). */
  state: TcpState;
  /** Bytes received and not read yet by the process. */
  unread: number;
}

/** The kernel's TCP states, in the order of their numbers in /proc/net/tcp (include/net/tcp_states.h). */
const TCP_STATES = [
  "ESTABLISHED",
  "SYN_SENT",
  "SYN_RECV",
  "FIN_WAIT1",
  "FIN_WAIT2",
  "TIME_WAIT",
  "CLOSE",
  "CLOSE_WAIT",
  "LAST_ACK",
  "LISTEN",
  "CLOSING",
  "NEW_SYN_RECV",
] as const;
export type TcpState = (typeof TCP_STATES)[number];

let installing: Promise<void> | undefined;

/** Installs the peer once per process: a second caller waits for the first install, or shares its failure. */
export function installKuboPeer(): Promise<void> {
  installing ??= install();
  return installing;
}

async function install(): Promise<void> {
  const lockHash = createHash("sha256")
    .update(readFileSync(join(PEER_DIR, "package-lock.json")))
    .digest("hex");
  if (existsSync(INSTALLED_MARK) && readFileSync(INSTALLED_MARK, "utf8") === lockHash) return;
  const started = Date.now();
  process.stderr.write(`kubo-peer: installing the js-ipfs daemon into ${PEER_DIR} (npm ci; about a minute, once)\n`);
  // npm under this Node (22), without the outer `npm test`'s npm_* settings (its prefix is the project's).
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")));
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ""}`;
  await run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: PEER_DIR, env, timeoutMs: KUBO_PEER_INSTALL_TIMEOUT_MS - 60_000 });
  writeFileSync(INSTALLED_MARK, lockHash);
  process.stderr.write(`kubo-peer: installed in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

/** Live daemons, killed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export async function startKuboPeer(): Promise<KuboPeer> {
  await installKuboPeer();
  const repo = tempDir("kubo-peer-");
  const env = { ...process.env, IPFS_PATH: join(repo.path, "ipfs") };
  try {
    await run(process.execPath, [CLI, "init", "--empty-repo", "--algorithm", "ed25519"], { env, timeoutMs: INIT_TIMEOUT_MS });
    isolate(join(env.IPFS_PATH, "config"));
    const child = spawn(process.execPath, [CLI, "daemon", "--offline", "--enable-preload=false"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(child);
    child.once("exit", () => live.delete(child));
    let apiPort: number;
    try {
      apiPort = await ready(child);
    } catch (error) {
      await terminate(child);
      throw error;
    }
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    let stopped: Promise<void> | undefined;
    return {
      apiUrl,
      pid: child.pid!,
      stop() {
        stopped ??= terminate(child).finally(() => repo.remove());
        return stopped;
      },
      freeze: () => void child.kill("SIGSTOP"),
      thaw: () => void child.kill("SIGCONT"),
      cli: async (args) => (await run(process.execPath, [CLI, "--api", apiUrl, ...args], { env, timeoutMs: CLI_TIMEOUT_MS })).stdout,
      sockets: () => socketsOf(child.pid!),
      apiConnections: () =>
        readSockets()
          .filter((s) => s.protocol.startsWith("tcp") && s.local.port === apiPort && s.state !== "LISTEN")
          .map((s) => ({ clientPort: s.remote.port, state: s.state, unread: s.unread })),
    };
  } catch (error) {
    repo.remove();
    throw error;
  }
}

/** The repo's config: nothing but loopback listeners on kernel-picked ports, and no outside peer to call. */
function isolate(configFile: string): void {
  const config = JSON.parse(readFileSync(configFile, "utf8"));
  config.Addresses = {
    ...config.Addresses,
    Swarm: [],
    API: "/ip4/127.0.0.1/tcp/0",
    Gateway: "/ip4/127.0.0.1/tcp/0",
    RPC: "/ip4/127.0.0.1/tcp/0", // the gRPC-over-websocket listener (5003 by default)
    Delegates: [],
  };
  config.Bootstrap = [];
  config.Discovery = { MDNS: { Enabled: false, Interval: 10 }, webRTCStar: { Enabled: false } };
  config.Swarm = { ...config.Swarm, DisableNatPortMap: true };
  config.Routing = { Type: "none" };
  config.Pubsub = { ...config.Pubsub, Enabled: false };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
}

/** Waits for "Daemon is ready"; returns the API's port, which the daemon prints as it binds it. */
async function ready(child: ChildProcess): Promise<number> {
  let output = "";
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`the IPFS daemon was not ready within ${START_TIMEOUT_MS} ms:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`the IPFS daemon exited (${signal ?? `code ${code}`}) before it was ready:\n${output}`));
    const onData = (data: Buffer) => {
      output += data;
      const port = /HTTP API listening on \/ip4\/127\.0\.0\.1\/tcp\/(\d+)\/http/.exec(output)?.[1];
      if (port && output.includes("Daemon is ready")) done(() => resolve(Number(port)));
    };
    const onError = (data: Buffer) => void (output += data);
    const done = (settle: () => void) => {
      clearTimeout(timer);
      child.off("exit", onExit);
      child.stdout!.off("data", onData);
      child.stderr!.off("data", onError);
      child.stdout!.resume(); // keep draining: a full pipe would stall the daemon
      child.stderr!.resume();
      settle();
    };
    const fail = (error: Error) => done(() => reject(error));
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onError);
    child.once("exit", onExit);
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGCONT"); // a frozen daemon cannot act on SIGTERM
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

function run(
  file: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const why = error.killed ? `was killed after ${options.timeoutMs} ms` : `failed (${error.code})`;
          reject(new Error(`${file} ${args.join(" ")} ${why}:\n${stderr}${stdout}`, { cause: error }));
        } else resolve({ stdout, stderr });
      },
    );
  });
}

/** The sockets a process holds: its fds that are sockets, matched by inode against /proc/net. */
function socketsOf(pid: number): PeerSocket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // the fd closed while we looked
    }
  }
  return readSockets().filter((s) => inodes.has(s.inode));
}

function readSockets(): (PeerSocket & { inode: string })[] {
  const protocols = ["tcp", "tcp6", "udp", "udp6"] as const;
  return protocols.flatMap((protocol) =>
    readFileSync(`/proc/net/${protocol}`, "utf8")
      .split("\n")
      .slice(1)
      .filter((line) => line.trim())
      .map((line) => {
        const [, local, remote, state, queues, , , , , inode] = line.trim().split(/\s+/);
        const unread = parseInt(queues!.split(":")[1]!, 16);
        return {
          protocol,
          local: endpoint(local!),
          remote: endpoint(remote!),
          state: TCP_STATES[parseInt(state!, 16) - 1]!,
          unread,
          inode: inode!,
        };
      }),
  );
}

/** /proc/net's "0100007F:1F90": the address in 32-bit words of host (little-endian) order, then the port. */
function endpoint(field: string): { address: string; port: number } {
  const [hex, port] = field.split(":") as [string, string];
  const bytes = hex.match(/.{8}/g)!.flatMap((word) => [...Buffer.from(word, "hex").reverse()]);
  return { address: ipaddr.fromByteArray(bytes).toString(), port: parseInt(port, 16) };
}
