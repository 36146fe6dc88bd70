/**
 * verify.html, the page every evidence bundle carries: opened from the file system, it verifies the
 * bundle's folder the user picks with the code verify.mjs runs (use-cases/verify-bundle.ts), offline,
 * then on the chain through the JSON-RPC endpoint the user pastes, which is the only address it reaches.
 * Built into the page by `npm run build:verifier` (scripts/build-verifier.ts), with node:crypto and
 * Buffer replaced by browser code (browser/).
 */
import { fetchChainReader } from "../../adapters/chain/fetch-chain-reader.ts";
import type { BundleFiles, BundleVerification } from "../../use-cases/verify-bundle.ts";
import { verifyBundle } from "../../use-cases/verify-bundle.ts";
import { EXIT } from "../report.ts";
import { bundleVerdict, itemExitCode, itemName, renderBundle } from "./bundle-report.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const CHUNK = 1 << 20;

/** What verify.mjs's exit code would mean, for the page. */
const EXIT_MEANING: Record<number, { tone: string; text: string }> = {
  [EXIT.ok]: { tone: "ok", text: "verified" },
  [EXIT.failed]: { tone: "bad", text: "a check failed" },
  [EXIT.usage]: { tone: "bad", text: "a file of the bundle is missing or unreadable" },
  [EXIT.untrustedChain]: { tone: "warn", text: "every check passed, but the anchor is on a development chain or an unknown chain" },
  [EXIT.unreachable]: { tone: "warn", text: "the chain could not be read" },
  [EXIT.noTimeProven]: { tone: "warn", text: "every check made passed, but no time is proven (the chain was not checked)" },
};

let bundle: BundleFiles | null = null;

/** The picked files, by their path inside the picked folder (the folder's own name dropped, as verify.mjs sees them). */
function bundleOf(files: FileList): BundleFiles {
  const byPath = new Map<string, File>();
  for (const file of Array.from(files)) {
    const path = file.webkitRelativePath ? file.webkitRelativePath.split("/").slice(1).join("/") : file.name;
    byPath.set(path, file);
  }
  const get = (path: string) => {
    const file = byPath.get(path);
    if (!file) throw new Error(`${path} was not picked`);
    return file;
  };
  return {
    paths: [...byPath.keys()],
    read: async (path) => new Uint8Array(await get(path).arrayBuffer()),
    async *stream(path) {
      const file = get(path);
      for (let at = 0; at < file.size; at += CHUNK) yield new Uint8Array(await file.slice(at, at + CHUNK).arrayBuffer());
    },
  };
}

async function run(rpc: string | null) {
  if (!bundle) return;
  const status = $("status");
  status.textContent = rpc ? `Checking, and reading the chain at ${rpc}…` : "Checking…";
  $<HTMLButtonElement>("check-chain").disabled = true;
  try {
    const chains = rpc ? [fetchChainReader(rpc)] : [];
    show(await verifyBundle(bundle, { chains }), rpc);
    status.textContent = "";
  } catch (error) {
    status.textContent = `The bundle could not be checked: ${(error as Error).message}`;
  } finally {
    $<HTMLButtonElement>("check-chain").disabled = false;
  }
}

function show(result: BundleVerification, rpc: string | null) {
  const { exitCode, verdict } = bundleVerdict(result, {});
  const meaning = EXIT_MEANING[exitCode]!;
  const section = $("result");
  section.hidden = false;
  section.className = meaning.tone;
  $("verdict").textContent = verdict;
  $("exit-code").textContent = `verify.mjs${rpc ? ` --rpc ${rpc}` : ""} would exit with code ${exitCode}: ${meaning.text}.${
    rpc ? "" : " The chain was not checked: paste an RPC endpoint above for the chain checks."
  }`;
  const chainIds = [...new Set(result.items.flatMap((i) => (i.receipt ? [i.receipt.anchor.chainId] : [])))];
  $("chain-id").textContent = chainIds.join(", ") || "the receipts name";

  const items = $("items");
  items.replaceChildren();
  for (const check of [result.capture, result.steps]) if (check) items.append(el("p", `${check.label}: ${check.detail}`, check.status));
  for (const item of result.items) {
    const article = el("article");
    article.append(el("h3", itemName(item), EXIT_MEANING[itemExitCode(item, {})]!.tone));
    if (item.problem) article.append(el("p", item.problem, "fail"));
    if (item.verification) {
      const table = el("table");
      table.append(
        el("caption", `Evidence ${item.receipt!.evidence.id}, chain: ${item.verification.chain.name} (${item.verification.trust})`),
      );
      // The custody log's checks follow the receipt's, in the same table.
      for (const c of [...item.verification.checks, ...(item.custody ?? [])]) {
        const row = el("tr");
        row.dataset.check = c.id;
        row.append(el("th", c.label), el("td", c.status, c.status), el("td", c.detail, "detail"));
        table.append(row);
      }
      article.append(table, el("p", item.verification.summary, "summary"));
    }
    items.append(article);
  }
  $("report").textContent = renderBundle(result, {}).text;
}

function el(tag: string, text?: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

$<HTMLInputElement>("folder").addEventListener("change", (event) => {
  const files = (event.target as HTMLInputElement).files;
  if (!files?.length) return;
  bundle = bundleOf(files);
  void run(null);
});

$<HTMLFormElement>("chain-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const rpc = $<HTMLInputElement>("rpc").value.trim();
  if (!/^https?:\/\/\S+$/.test(rpc)) {
    $("status").textContent = "Paste the http(s) address of a JSON-RPC endpoint of the chain.";
    return;
  }
  if (!bundle) {
    $("status").textContent = "Choose the bundle's folder first.";
    return;
  }
  void run(rpc);
});
