/**
 * `evidence`: the verifier a lawyer, a judge or the other side runs, with no server, no database and no
 * key. Only the receipt, optionally the file, and any JSON-RPC endpoint of the receipt's chain.
 *
 *   evidence verify RECEIPT.json [FILE] --rpc URL [--json]
 *   evidence verify RECEIPT.json [FILE] --offline [--json]
 *   evidence hash FILE
 *
 * Exit codes: 0 verified, 1 a check failed, 2 bad usage or unreadable input.
 */
import { createReadStream, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { jsonRpcChainReader } from "../adapters/chain/chain-reader.ts";
import { fileFacts } from "../domain/content-id.ts";
import { parseReceipt } from "../domain/receipt-schema.ts";
import { verifyReceipt, type Verification } from "../use-cases/verify-receipt.ts";

export const USAGE = `Usage:
  evidence verify RECEIPT.json [FILE] --rpc URL [--json]   check a receipt (and its file) against the chain
  evidence verify RECEIPT.json [FILE] --offline [--json]   check only the file, metadata and Merkle proof
  evidence hash FILE                                       print a file's SHA-256, size and IPFS CID

The RPC URL may also be given as EVIDENCE_RPC_URL. Exit codes: 0 verified, 1 a check failed,
2 bad usage or unreadable input.`;

class UsageError extends Error {}

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === "verify") return await verifyCommand(rest, io);
    if (command === "hash") return await hashCommand(rest, io);
    if (command === "--help" || command === "-h" || command === "help") {
      io.out(USAGE);
      return 0;
    }
    throw new UsageError(command ? `unknown command '${command}'` : "no command given");
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`evidence: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`evidence: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

async function verifyCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, {
    rpc: { type: "string" },
    offline: { type: "boolean" },
    json: { type: "boolean" },
  });
  const [receiptPath, filePath, extra] = positionals;
  if (!receiptPath) throw new UsageError("verify needs a receipt file");
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  const rpc = (values.rpc as string | undefined) ?? io.env.EVIDENCE_RPC_URL;
  if (!rpc && !values.offline) {
    throw new UsageError("give --rpc URL (any JSON-RPC endpoint of the receipt's chain), or --offline to skip the chain");
  }
  if (rpc && !/^https?:\/\//.test(rpc)) throw new UsageError(`--rpc must be an http(s) URL, not '${rpc}'`);

  const parsed = parseReceipt(readJson(receiptPath));
  if ("error" in parsed) throw new Error(`${receiptPath} is not an evidence-receipt/v1: ${parsed.error}`);
  const file = filePath ? await factsOf(filePath) : undefined;
  const chain = rpc && !values.offline ? jsonRpcChainReader(rpc) : undefined;
  let result: Verification;
  try {
    result = await verifyReceipt({ receipt: parsed.receipt, file, chain });
  } finally {
    chain?.close();
  }

  if (values.json) io.out(JSON.stringify({ receipt: receiptPath, file: filePath ?? null, ...result }, null, 2));
  else io.out(render(parsed.receipt.evidence.id, result));
  const failed = result.checks.some((c) => c.status === "fail");
  return failed ? 1 : 0;
}

async function hashCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: "boolean" } });
  if (positionals.length !== 1) throw new UsageError("hash needs exactly one file");
  const facts = await factsOf(positionals[0]!);
  io.out(values.json ? JSON.stringify(facts, null, 2) : `sha256  ${facts.sha256}\nsize    ${facts.size} bytes\ncid     ${facts.cid}`);
  return 0;
}

function parse(args: string[], options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${path} is not JSON`);
  }
}

async function factsOf(path: string) {
  try {
    return await fileFacts(createReadStream(path));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

const MARK = { pass: "✓", fail: "✗", skip: "–" } as const;

function render(id: string, result: Verification): string {
  const width = Math.max(...result.checks.map((c) => c.label.length));
  const lines = [`Evidence ${id} (evidence-receipt/v1)`];
  for (const c of result.checks) lines.push(`  ${MARK[c.status]} ${c.label.padEnd(width)}  ${c.detail}`);
  lines.push("", result.summary);
  if (result.anchoredAt) {
    lines.push(`In plain words: this file existed no later than ${new Date(result.anchoredAt.timestamp * 1000).toUTCString()}.`);
  }
  return lines.join("\n");
}
