/**
 * verify.mjs, the verifier every evidence bundle carries: `node verify.mjs` in the unpacked bundle, on
 * Node 20 or later, with nothing to install and no network but the RPC endpoints given. Built into one
 * file by `npm run build:verifier` (scripts/build-verifier.ts) from the project's own verification code;
 * it prints and exits as the `evidence-anchor` CLI does.
 */
import { createReadStream, readdirSync, type Dirent } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { fetchChainReader } from "../../adapters/chain/fetch-chain-reader.ts";
import { DEFAULT_RPC_TIMEOUT_MS } from "../../adapters/chain/json-rpc.ts";
import { findBundleItems } from "../../domain/bundle-layout.ts";
import { verifyBundle, verifyBundleItem, type BundleVerification } from "../../use-cases/verify-bundle.ts";
import { readPem, timeoutSeconds, UsageError } from "../arguments.ts";
import { EXIT, exitCodesHelp } from "../report.ts";
import { renderBundle } from "./bundle-report.ts";

const USAGE = `Usage:
  node verify.mjs [RECEIPT.json [FILE]] [--rpc URL…] [--tsa-ca PEM…] [--timeout SECONDS] [--json]

Verifies this evidence bundle, as the evidence-anchor command of the project that made it does, with no
installation and no network but the RPC endpoints given. Without RECEIPT.json: every evidence item of the
bundle (each folder with a receipt.json, here or below); with it: that receipt, and FILE or else the
evidence file beside it. For each item: the file's SHA-256, size and CID, the metadata hash, the Merkle
leaf and proof, the RFC 3161 time-stamps (against the tsa-ca-N.pem beside the receipt, or --tsa-ca);
with --rpc, on the chain: which chain the endpoint serves (a known public chain by its block 0), the
registry, the anchor, its block and transaction, the registry's verifyItem and the block's depth.

  --rpc URL                  a JSON-RPC endpoint of the receipts' chain (or set EVIDENCE_RPC_URL); more
                             than once, and the endpoints must agree. Without one, the chain is skipped
  --tsa-ca PEM               trust this CA certificate (PEM file) for time-stamps instead of the bundle's
                             tsa-ca-N.pem files (say, one you obtained from the authority itself)
  --allow-development-chain  exit 0, not 3, for an anchor on a development chain
  --allow-unknown-chain      exit 0, not 3, for an anchor on a chain this verifier does not know
  --timeout SECONDS          how long to wait for each answer of an RPC endpoint (default ${DEFAULT_RPC_TIMEOUT_MS / 1000})
  --json                     print the result as JSON
  -h, --help                 print this help

${exitCodesHelp("without --rpc")}`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      rpc: { type: "string", multiple: true },
      "tsa-ca": { type: "string", multiple: true },
      "allow-development-chain": { type: "boolean" },
      "allow-unknown-chain": { type: "boolean" },
      timeout: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const [receiptPath, filePath, extra] = positionals;
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  const rpcs = values.rpc?.length ? values.rpc : process.env.EVIDENCE_RPC_URL ? [process.env.EVIDENCE_RPC_URL] : [];
  for (const rpc of rpcs) if (!/^https?:\/\//.test(rpc)) throw new UsageError(`--rpc must be an http(s) URL, not '${rpc}'`);
  const timeoutMs = values.timeout === undefined ? DEFAULT_RPC_TIMEOUT_MS : timeoutSeconds(values.timeout) * 1000;
  const tsaCas = values["tsa-ca"]?.map(readPem);
  const chains = rpcs.map((rpc) => fetchChainReader(rpc, { timeoutMs }));
  const files = { read: (path: string) => readFile(path), stream: (path: string) => createReadStream(path) };

  let result: BundleVerification;
  let root: string;
  if (receiptPath) {
    // One receipt, as the CLI takes it; a bundle's folder gives the file (if not named), the time-stamp CAs and the custody log.
    root = process.cwd();
    const folder = dirname(receiptPath);
    const beside = findBundleItems(readdirSync(folder)).find((i) => i.receipt === basename(receiptPath));
    const file = filePath ?? (beside?.file && join(folder, beside.file));
    const item = {
      folder,
      receipt: receiptPath,
      tsaCas: (beside?.tsaCas ?? []).map((name) => join(folder, name)),
      ...(file ? { file } : {}),
      ...(beside?.custody ? { custody: join(folder, beside.custody) } : {}),
    };
    result = { items: [await verifyBundleItem(files, item, { chains, tsaCas })] };
  } else {
    root = dirname(fileURLToPath(import.meta.url));
    const paths = (readdirSync(root, { recursive: true, withFileTypes: true }) as Dirent[])
      .filter((entry) => entry.isFile())
      .map((entry) =>
        relative(root, join(entry.parentPath ?? entry.path, entry.name))
          .split(sep)
          .join("/"),
      );
    result = await verifyBundle(
      { paths, read: (path) => files.read(join(root, path)), stream: (path) => files.stream(join(root, path)) },
      { chains, tsaCas },
    );
  }
  const allow = { development: values["allow-development-chain"], unknown: values["allow-unknown-chain"] };
  const { text, exitCode } = renderBundle(result, allow);
  if (values.json) {
    const items = result.items.map((i) => ({
      folder: i.files.folder,
      receipt: i.files.receipt,
      file: i.files.file ?? null,
      problem: i.problem ?? null,
      ...i.verification,
    }));
    process.stdout.write(
      `${JSON.stringify({ bundle: root, items, capture: result.capture ?? null, steps: result.steps ?? null, exitCode }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`${text}\n`);
  }
  return exitCode;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  const message =
    (error as NodeJS.ErrnoException).code === "ENOENT"
      ? `cannot read ${(error as NodeJS.ErrnoException).path}: ENOENT`
      : (error as Error).message;
  process.stderr.write(`verify.mjs: ${message}${usage ? `\n\n${USAGE}` : ""}\n`);
  process.exitCode = EXIT.usage;
}
