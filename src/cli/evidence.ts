/**
 * `evidence-anchor`: the verifier a lawyer, a judge or the other side runs, with no server, no database
 * and no key. Only the receipt, optionally the file, and any JSON-RPC endpoint of the receipt's chain. It
 * comes with this project (bin/evidence-anchor.js); it is not published on npm, where `evidence` is an
 * unrelated package. An evidence bundle carries the same checks as verify.mjs (src/cli/bundle-verifier/).
 *
 *   evidence-anchor verify RECEIPT.json [FILE|-] --rpc URL [--rpc URL…] [--tsa-ca PEM…] [--timeout SECONDS] [--json]
 *   evidence-anchor verify RECEIPT.json [FILE|-] --offline [--tsa-ca PEM…] [--json]
 *   evidence-anchor hash FILE|-
 *   evidence-anchor help [COMMAND] | --help | --version
 *
 * Exit codes: see EXIT.
 */
import { createReadStream } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_RPC_TIMEOUT_MS, jsonRpcChainReader } from "../adapters/chain/chain-reader.ts";
import { fileFacts } from "../domain/content-id.ts";
import { parseReceipt } from "../domain/receipt-schema.ts";
import { PACKAGE } from "../package-info.ts";
import { verifyReceipt, type Verification } from "../use-cases/verify-receipt.ts";
import { readPem, readText, timeoutSeconds, UsageError } from "./arguments.ts";
import { EXIT, exitCodeOf, exitCodesHelp, renderVerification } from "./report.ts";

const EXIT_CODES = exitCodesHelp("with --offline");

const VERIFY_USAGE = `Usage:
  evidence-anchor verify RECEIPT.json [FILE] --rpc URL [--rpc URL…] [--tsa-ca PEM…] [--timeout SECONDS] [--json]
  evidence-anchor verify RECEIPT.json [FILE] --offline [--tsa-ca PEM…] [--json]

Checks a receipt and, if given, its file (FILE "-" reads it from standard input): the file's SHA-256,
size and CID, the metadata hash, the Merkle leaf and proof, that the anchor does not precede the
file's reception; then on the chain which chain the endpoint serves (a known public chain by its block
0), the registry, the anchor, its block and transaction, the registry's own inclusion check and the
block's depth; and each RFC 3161 time-stamp in the receipt (signature, imprint, the TSA's certificate
and its chain to a CA given with --tsa-ca). The verdict names the earliest proven time and its sources.

  --rpc URL                  a JSON-RPC endpoint of the receipt's chain (or set EVIDENCE_RPC_URL);
                             give it more than once, and the endpoints must agree on the anchoring block
  --offline                  skip the chain: check the file, metadata, Merkle proof and time-stamps
  --tsa-ca PEM               a CA certificate (PEM file) trusted for time-stamping; more than once for
                             several. Without one, a time-stamp's signature is checked but proves no time
  --allow-development-chain  exit 0, not 3, for an anchor on a development chain
  --allow-unknown-chain      exit 0, not 3, for an anchor on a chain this verifier does not know
  --timeout SECONDS          how long to wait for each answer of an RPC endpoint (default ${DEFAULT_RPC_TIMEOUT_MS / 1000})
  --json                     print the result as JSON
  -h, --help                 print this help

${EXIT_CODES}`;

const HASH_USAGE = `Usage:
  evidence-anchor hash FILE [--json]

Prints a file's SHA-256 (as sha256sum does), size and IPFS CID (as ipfs add --cid-version=1 does).
FILE "-" reads it from standard input.

  --json             print the result as JSON
  -h, --help         print this help

Exit codes: 0 printed; 2 bad usage or unreadable input.`;

export const USAGE = `Usage:
  evidence-anchor verify RECEIPT.json [FILE] --rpc URL [--json]   check a receipt (and its file) against the chain
  evidence-anchor verify RECEIPT.json [FILE] --offline [--json]   check the file, metadata, proof and time-stamps
  evidence-anchor hash FILE                                       print a file's SHA-256, size and IPFS CID
  evidence-anchor help COMMAND                                    a command's options (or COMMAND --help)
  evidence-anchor --version                                       print the name and version

FILE may be "-" to read it from standard input. The RPC URL may also be given as EVIDENCE_RPC_URL.

${EXIT_CODES}`;

const COMMAND_USAGE: Record<string, string> = { verify: VERIFY_USAGE, hash: HASH_USAGE };

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Read for a FILE given as "-". */
  stdin: AsyncIterable<Uint8Array>;
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === "verify") return await verifyCommand(rest, io);
    if (command === "hash") return await hashCommand(rest, io);
    if (command === "--version" || command === "-V") {
      io.out(`${PACKAGE.name} ${PACKAGE.version}`);
      return EXIT.ok;
    }
    if (command === "--help" || command === "-h" || command === "help") {
      const [topic, extra] = rest;
      if (extra) throw new UsageError(`unexpected argument '${extra}'`);
      if (topic && !COMMAND_USAGE[topic]) throw new UsageError(`unknown command '${topic}'`);
      io.out(topic ? COMMAND_USAGE[topic]! : USAGE);
      return EXIT.ok;
    }
    throw new UsageError(command ? `unknown command '${command}'` : "no command given");
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`evidence-anchor: ${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    io.err(`evidence-anchor: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.usage;
  }
}

async function verifyCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, {
    rpc: { type: "string", multiple: true },
    "tsa-ca": { type: "string", multiple: true },
    "allow-development-chain": { type: "boolean" },
    "allow-unknown-chain": { type: "boolean" },
    offline: { type: "boolean" },
    timeout: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.out(VERIFY_USAGE);
    return EXIT.ok;
  }
  const [receiptPath, filePath, extra] = positionals;
  if (!receiptPath) throw new UsageError("verify needs a receipt file");
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  const given = (values.rpc as string[] | undefined) ?? [];
  const rpcs = given.length ? given : io.env.EVIDENCE_RPC_URL ? [io.env.EVIDENCE_RPC_URL] : [];
  if (!rpcs.length && !values.offline) {
    throw new UsageError("give --rpc URL (any JSON-RPC endpoint of the receipt's chain), or --offline to skip the chain");
  }
  for (const rpc of rpcs) if (!/^https?:\/\//.test(rpc)) throw new UsageError(`--rpc must be an http(s) URL, not '${rpc}'`);
  const timeoutMs = values.timeout === undefined ? DEFAULT_RPC_TIMEOUT_MS : timeoutSeconds(values.timeout as string) * 1000;
  const tsaTrustAnchors = ((values["tsa-ca"] as string[] | undefined) ?? []).map(readPem);

  const parsed = parseReceipt(readJson(receiptPath));
  if ("error" in parsed) throw new Error(`${receiptPath} is not an evidence receipt: ${parsed.error}`);
  const file = filePath ? await factsOf(filePath, io) : undefined;
  const chains = values.offline ? [] : rpcs.map((rpc) => jsonRpcChainReader(rpc, { timeoutMs }));
  let result: Verification;
  try {
    result = await verifyReceipt({ receipt: parsed.receipt, file, chains, tsaTrustAnchors });
  } finally {
    for (const chain of chains) chain.close();
  }

  if (values.json) io.out(JSON.stringify({ receipt: receiptPath, file: filePath ?? null, ...result }, null, 2));
  else io.out(renderVerification(parsed.receipt, result));
  return exitCodeOf(result, {
    development: values["allow-development-chain"] as boolean,
    unknown: values["allow-unknown-chain"] as boolean,
  });
}

async function hashCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.out(HASH_USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError("hash needs exactly one file");
  const facts = await factsOf(positionals[0]!, io);
  io.out(values.json ? JSON.stringify(facts, null, 2) : `sha256  ${facts.sha256}\nsize    ${facts.size} bytes\ncid     ${facts.cid}`);
  return EXIT.ok;
}

function parse(args: string[], options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function readJson(path: string): unknown {
  const text = readText(path);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${path} is not JSON`);
  }
}

/** "-" is standard input, as for sha256sum. */
async function factsOf(path: string, io: CliIO) {
  try {
    return await fileFacts(path === "-" ? io.stdin : createReadStream(path));
  } catch (error) {
    const what = path === "-" ? "standard input" : path;
    throw new Error(`cannot read ${what}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
