/**
 * A real PostgreSQL server for tests: Debian's postgresql-15 (docs/postgres-for-tests.md says why), a
 * cluster of its own made by initdb in a fresh temp folder, listening on 127.0.0.1 and a free port, with
 * its unix socket in that folder too (never /var/run/postgresql, so servers cannot meet there).
 *
 * initdb and postgres refuse to run as root, and CI runs as root: then they run as Debian's `postgres`
 * system user (the server package creates it; it is what Debian runs its own clusters as, and unlike
 * `nobody` it is meant to own files), with the folder chowned to it. Any other user runs them as itself.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports.ts";

export const POSTGRES_MAJOR = 15;
const BIN = `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`;
const SUPERUSER = "postgres";

export interface PostgresOptions {
  /** The database the URL names, owned by `user`. @default "evidence" */
  database?: string;
  /** A password-less login role (trust authentication on loopback). @default "evidence" */
  user?: string;
  /** Extra server settings, passed as `-c name=value`. */
  settings?: Record<string, string>;
  /** The deadline of each step (initdb, start until a connection is accepted, stop). @default 30_000 */
  timeoutMs?: number;
}

export interface PostgresServer {
  /** postgres://user@127.0.0.1:port/database */
  url: string;
  port: number;
  /** The cluster's data directory (PGDATA), inside `folder`. */
  dataDir: string;
  /** The temp folder holding the data directory and the unix socket; stop() removes it. */
  folder: string;
  /** What the server wrote to stdout and stderr, over all its starts. */
  log(): string;
  /** Fast shutdown (SIGINT, what `pg_ctl stop -m fast` sends), then the folder is removed. */
  stop(): Promise<void>;
  /** SIGKILL to the server and every one of its processes at once, as a power cut would; the folder stays. */
  kill9(): Promise<void>;
  /** Stops the server if it runs (fast), then starts it again on the same port and data. */
  restart(): Promise<void>;
}

/** Servers not stopped yet: killed and removed if the test process exits without stopping them. */
const live = new Set<{ folder: string; dataDir: string }>();
process.on("exit", () => {
  for (const server of live) {
    for (const pid of postgresProcesses(server.dataDir)) trySignal(pid, "SIGKILL");
    rmSync(server.folder, { recursive: true, force: true, maxRetries: 3 });
  }
});

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const { database = "evidence", user = "evidence", settings = {}, timeoutMs = 30_000 } = options;
  if (!existsSync(`${BIN}/postgres`)) {
    throw new Error(
      `PostgreSQL ${POSTGRES_MAJOR} is not installed (${BIN}/postgres): apt-get install postgresql-${POSTGRES_MAJOR}, see docs/postgres-for-tests.md`,
    );
  }
  const folder = mkdtempSync(join(tmpdir(), "evidence-pg-"));
  const dataDir = join(folder, "data");
  const server = { folder, dataDir };
  live.add(server);
  const runner = unprivilegedRunner();
  if (runner.owner) chownSync(folder, runner.owner.uid, runner.owner.gid);

  let output = "";
  let child: ChildProcess | undefined;
  let port = 0;
  const fail = (message: string): never => {
    throw new Error(`${message}\n--- server log ---\n${output.slice(-4000)}`);
  };

  /** Spawns the postmaster and resolves once it accepts a connection; rejects with the log if it exits. */
  const launch = async (): Promise<void> => {
    const args = ["-D", dataDir, "-p", String(port), "-k", folder, "-c", "listen_addresses=127.0.0.1"];
    for (const [name, value] of Object.entries(settings)) args.push("-c", `${name}=${value}`);
    const started = spawn(runner.cmd, [...runner.args, `${BIN}/postgres`, ...args], {
      cwd: folder,
      env: { ...process.env, LC_ALL: "C" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    started.stdout!.on("data", (d) => (output += d));
    started.stderr!.on("data", (d) => (output += d));
    let gone = false;
    const exited = new Promise<void>((resolve) => {
      started.once("exit", () => resolve());
      started.once("error", (error) => {
        output += `${error.message}\n`;
        gone = true;
        resolve();
      });
    });
    // A server a test forgot to stop must not keep the test process alive: the exit hook ends it.
    started.unref();
    for (const stream of [started.stdout, started.stderr]) (stream as unknown as { unref(): void }).unref();
    const deadline = Date.now() + timeoutMs;
    let lastError = "";
    while (Date.now() < deadline) {
      if (gone || started.exitCode !== null || started.signalCode !== null)
        fail(`postgres exited (${started.exitCode ?? started.signalCode ?? "not started"}) before accepting connections`);
      const client = new pg.Client({ host: "127.0.0.1", port, user: SUPERUSER, database: "postgres", connectionTimeoutMillis: 1_000 });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (error) {
        lastError = (error as Error).message;
        await client.end().catch(() => {});
        await Promise.race([exited, sleep(50)]);
      }
    }
    await kill9();
    fail(`postgres did not accept connections within ${timeoutMs} ms (last error: ${lastError})`);
  };

  /** Fast shutdown; resolves when the postmaster and all its processes are gone. */
  const shutDown = async (): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    trySignal(running.pid!, "SIGINT");
    if (!(await within(exited, timeoutMs))) {
      await kill9();
      fail(`postgres did not shut down within ${timeoutMs} ms and was killed`);
    }
    await noProcessesLeft();
  };

  const kill9 = async (): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    // Stopped first, the postmaster forks no new backend while its processes are collected; killed last,
    // so that no backend outlives it long enough to tell its client "unexpected postmaster exit".
    trySignal(running.pid!, "SIGSTOP");
    for (const pid of postgresProcesses(dataDir)) if (pid !== running.pid) trySignal(pid, "SIGKILL");
    trySignal(running.pid!, "SIGKILL");
    if (!(await within(exited, timeoutMs))) fail(`postgres (pid ${running.pid}) did not die of SIGKILL within ${timeoutMs} ms`);
    await noProcessesLeft();
  };

  const noProcessesLeft = async (): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (postgresProcesses(dataDir).length > 0) {
      if (Date.now() > deadline) fail(`processes of ${dataDir} still running: ${postgresProcesses(dataDir).join(", ")}`);
      await sleep(20);
    }
  };

  try {
    await run(
      runner,
      `${BIN}/initdb`,
      ["-D", dataDir, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
      folder,
      timeoutMs,
    );
    // The free port may be taken by someone else before postgres binds it: then try another one.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const logStart = output.length;
      try {
        await launch();
        break;
      } catch (error) {
        if (attempt === 3 || !output.slice(logStart).includes("Address already in use")) throw error;
      }
    }
    const admin = new pg.Client({
      host: "127.0.0.1",
      port,
      user: SUPERUSER,
      database: "postgres",
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
    });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${admin.escapeIdentifier(user)} LOGIN`);
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)} OWNER ${admin.escapeIdentifier(user)}`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    await kill9().catch(() => {});
    rmSync(folder, { recursive: true, force: true });
    live.delete(server);
    throw error;
  }

  return {
    url: `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    port,
    dataDir,
    folder,
    log: () => output,
    kill9,
    async restart() {
      await shutDown();
      await launch();
    },
    async stop() {
      try {
        await shutDown();
      } finally {
        rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
        live.delete(server);
      }
    },
  };
}

/**
 * The processes working in a data directory: the postmaster chdirs into it and every backend, worker and
 * auxiliary process inherits that (their command lines no longer name it).
 */
export function postgresProcesses(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dataDir || cwd === `${dataDir} (deleted)`) pids.push(Number(entry));
    } catch {
      // gone meanwhile, a zombie, or not ours to look at
    }
  }
  return pids;
}

interface Runner {
  cmd: string;
  args: string[];
  owner?: { uid: number; gid: number };
}

/**
 * setpriv drops root for the postgres user, and --pdeathsig asks the kernel to send SIGINT (fast
 * shutdown) to the server if the test process dies without stopping it.
 */
function unprivilegedRunner(): Runner {
  const pdeathsig = ["--pdeathsig", "INT"];
  if (process.getuid?.() !== 0) return { cmd: "setpriv", args: [...pdeathsig, "--"] };
  const id = (flag: string) => Number(execFileSync("id", [flag, SUPERUSER], { encoding: "utf8", timeout: 5_000 }).trim());
  const owner = { uid: id("-u"), gid: id("-g") };
  return { cmd: "setpriv", args: [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, "--clear-groups", ...pdeathsig, "--"], owner };
}

/** Runs a command to its end within the deadline; rejects with its output if it fails or overruns. */
function run(runner: Runner, file: string, args: string[], cwd: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(runner.cmd, [...runner.args, file, ...args], {
      cwd,
      env: { ...process.env, LC_ALL: "C" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => reject(error));
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${file} ${signal === "SIGKILL" ? `did not finish within ${timeoutMs} ms` : `exited with ${code ?? signal}`}:\n${output}`,
          ),
        );
    });
  });
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
