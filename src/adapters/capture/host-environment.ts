/**
 * The machine a capture runs on, for its manifest: the operating system and kernel, the host clock's
 * synchronisation as the OS reports it, the git commit the service runs from, and the DNS answers the
 * egress proxy used. What cannot be read is recorded as null with the reason, never guessed, and never
 * fails a capture; each command has a deadline.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { type, release, version } from "node:os";
import { bareHost } from "../../domain/endpoint.ts";
import type { CaptureEnvironment, DnsAnswer } from "../../ports/page-capturer.ts";
import type { EgressRecord } from "./egress-proxy.ts";

/** How long a command describing the host may take. */
const COMMAND_MS = 3000;

interface CommandResult {
  stdout: string;
  /** Why it gave no answer: not installed, failed (its first line of stderr), timed out. */
  problem?: string;
}

function run(command: string, args: string[], cwd?: string): Promise<CommandResult> {
  return new Promise((resolve) =>
    execFile(command, args, { timeout: COMMAND_MS, cwd, env: { ...process.env, LC_ALL: "C" } }, (error, stdout, stderr) => {
      if (!error) return resolve({ stdout });
      const code = (error as NodeJS.ErrnoException).code;
      const problem =
        code === "ENOENT"
          ? `${command} is not installed`
          : error.killed
            ? `${command} did not answer within ${COMMAND_MS} ms`
            : `${command} failed: ${stderr.trim().split("\n")[0] || `exit code ${code}`}`;
      resolve({ stdout, problem });
    }),
  );
}

/** PRETTY_NAME of os-release(5), which /etc/os-release or /usr/lib/os-release holds; null if neither does. */
function distribution(): string | null {
  for (const file of ["/etc/os-release", "/usr/lib/os-release"]) {
    try {
      const line = /^PRETTY_NAME=(.*)$/m.exec(readFileSync(file, "utf8"))?.[1];
      if (line !== undefined) return line.trim().replace(/^(["'])(.*)\1$/, "$2");
    } catch {
      // not there: the next file, or none
    }
  }
  return null;
}

const OS: CaptureEnvironment["os"] = Object.freeze({ type: type(), release: release(), version: version(), distribution: distribution() });

/** systemd's view of the clock: NTPSynchronized (the kernel's clock is in sync) and NTP (a service keeps it so). */
export async function clockState(): Promise<CaptureEnvironment["clock"]> {
  const source = "timedatectl show -p NTPSynchronized -p NTP";
  const { stdout, problem } = await run("timedatectl", ["show", "-p", "NTPSynchronized", "-p", "NTP"]);
  return parseClockState(stdout, problem, source);
}

export function parseClockState(stdout: string, problem: string | undefined, source: string): CaptureEnvironment["clock"] {
  const values = Object.fromEntries(
    stdout
      .split("\n")
      .map((line) => line.trim().split("="))
      .filter((kv): kv is [string, string] => kv.length === 2),
  );
  const flag = (value: string | undefined) => (value === "yes" ? true : value === "no" ? false : null);
  const [synchronized, ntp] = [flag(values.NTPSynchronized), flag(values.NTP)];
  if (problem === undefined && synchronized !== null) return { synchronized, ntp, source };
  return { synchronized: null, ntp: null, source, reason: problem ?? "timedatectl did not report NTPSynchronized" };
}

let commit: Promise<string | null> | undefined;

/** The commit of the git checkout the service runs from (read once); null when it runs from anything else. */
export function serviceCommit(): Promise<string | null> {
  const root = new URL("../../..", import.meta.url).pathname;
  commit ??= run("git", ["rev-parse", "--verify", "HEAD"], root).then(({ stdout, problem }) =>
    problem === undefined && /^[0-9a-f]{40,64}$/.test(stdout.trim()) ? stdout.trim() : null,
  );
  return commit;
}

/**
 * Each distinct answer the egress proxy used, in the order first used: per host and port, the addresses
 * the lookup answered and the one connected to (or why it was refused).
 */
export function dnsAnswers(records: readonly EgressRecord[], resolver: string): DnsAnswer[] {
  const answers = new Map<string, DnsAnswer>();
  for (const r of records) {
    const host = bareHost(r.host);
    const answer: DnsAnswer = {
      host,
      port: r.port,
      resolvedBy: isIP(host) ? "address literal" : resolver,
      addresses: r.addresses,
      connectedTo: r.address ?? null,
      ...(r.refused ? { refused: r.refused } : {}),
    };
    const key = JSON.stringify(answer);
    if (!answers.has(key)) answers.set(key, answer);
  }
  return [...answers.values()];
}

/** The record, with the clock read when the capture began (clockState) and the proxy's answers of the visit. */
export async function hostEnvironment(
  clock: Promise<CaptureEnvironment["clock"]>,
  records: readonly EgressRecord[],
  egressRule: string,
  resolver: string,
): Promise<CaptureEnvironment> {
  return { os: OS, clock: await clock, serviceCommit: await serviceCommit(), dns: dnsAnswers(records, resolver), egressRule };
}
