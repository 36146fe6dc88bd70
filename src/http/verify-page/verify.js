// The verification page. Runs in the browser: hashes the file (WebCrypto), checks the metadata hash
// (RFC 8785) and the Merkle proof (keccak-256, OpenZeppelin StandardMerkleTree rules) locally, and asks
// the service only for what needs the chain, sending the receipt (and the file only if the user asks).
import { keccak_256 } from "/verify/vendor/noble-hashes/sha3.js";
import canonicalize from "/verify/vendor/canonicalize.js";

const $ = (id) => document.getElementById(id);
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (h) => Uint8Array.from(h.replace(/^0x/, "").match(/../g) ?? [], (b) => parseInt(b, 16));
const sha256 = async (data) => hex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
const concat = (a, b) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
const compare = (a, b) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
};

/** StandardMerkleTree: leaf = keccak(keccak(abi.encode(bytes32, bytes32))); pairs hashed sorted. */
function merkleRoot(leaf, proof) {
  let node = keccak_256(keccak_256(concat(fromHex(leaf[0]), fromHex(leaf[1]))));
  for (const sibling of proof) {
    const s = fromHex(sibling);
    node = keccak_256(compare(node, s) <= 0 ? concat(node, s) : concat(s, node));
  }
  return "0x" + hex(node);
}

async function localChecks(receipt, file) {
  const checks = [];
  const add = (id, label, status, detail) => checks.push({ id, label, status, detail, by: "your browser" });
  const e = receipt.evidence;
  if (file) {
    const bytes = await file.arrayBuffer();
    const digest = await sha256(bytes);
    add(
      "file.sha256",
      "file SHA-256",
      digest === e.sha256 ? "pass" : "fail",
      digest === e.sha256 ? digest : `the file's SHA-256 is ${digest}; the receipt says ${e.sha256}`,
    );
    add(
      "file.size",
      "file size",
      bytes.byteLength === e.size ? "pass" : "fail",
      bytes.byteLength === e.size ? `${e.size} bytes` : `the file has ${bytes.byteLength} bytes; the receipt says ${e.size}`,
    );
  } else {
    add("file.sha256", "file SHA-256", "skip", "no file given: only the receipt is checked");
  }
  const metadataSha256 = await sha256(new TextEncoder().encode(canonicalize(receipt.metadata)));
  add(
    "metadata.hash",
    "metadata hash",
    metadataSha256 === e.metadataSha256 ? "pass" : "fail",
    metadataSha256 === e.metadataSha256
      ? `${metadataSha256} (RFC 8785)`
      : `the metadata hashes to ${metadataSha256}; the receipt says ${e.metadataSha256}`,
  );
  const leaf = ["0x" + e.sha256, "0x" + e.metadataSha256];
  const root = merkleRoot(leaf, receipt.merkle.proof ?? []);
  add(
    "merkle.proof",
    "Merkle proof",
    root === String(receipt.merkle.root).toLowerCase() ? "pass" : "fail",
    root === String(receipt.merkle.root).toLowerCase()
      ? `${receipt.merkle.proof.length} steps to root ${root}`
      : `the proof leads to ${root}, not to the receipt's root ${receipt.merkle.root}`,
  );
  return checks;
}

async function serverChecks(receipt, file, sendFile) {
  let response;
  if (file && sendFile) {
    const form = new FormData();
    form.append("receipt", new Blob([JSON.stringify(receipt)], { type: "application/json" }), "receipt.json");
    form.append("file", file, file.name);
    response = await fetch("/v1/verify", { method: "POST", body: form });
  } else {
    response = await fetch("/v1/verify", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ receipt }),
    });
  }
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error?.message ?? `the server answered ${response.status}`);
  const wanted = (c) => /^(chain|timestamp|time)\./.test(c.id) || (sendFile && file && c.id === "file.cid");
  const by = (c) =>
    c.id.startsWith("chain.")
      ? "this server, from the chain"
      : c.id.startsWith("timestamp.")
        ? "this server, with the CAs it trusts"
        : "this server";
  return { result: body, checks: body.checks.filter(wanted).map((c) => ({ ...c, by: by(c) })) };
}

const RECEIPT_VERSIONS = ["evidence-receipt/v1", "evidence-receipt/v2"];
const utc = (iso) => iso.replace("T", " ").replace("Z", " UTC");

/** The verdict: the server's, over the chain and the time-stamps, unless a check made here failed. */
function render(receipt, checks, result) {
  const failed = checks.filter((c) => c.status === "fail");
  const trusted = result.times.filter((t) => t.trusted);
  const fileMatched = checks.some((c) => c.id === "file.sha256" && c.status === "pass");
  let verdict;
  let tone;
  if (failed.length || !result.verified) {
    verdict = "✗ Not verified";
    tone = "bad";
  } else if (trusted.length) {
    verdict = "✓ Verified";
    tone = result.trust === "public" ? "ok" : "warn";
  } else {
    verdict =
      result.trust === "development"
        ? "! Development chain — proves nothing to a third party"
        : "! Unknown chain — not proven to a third party";
    tone = "warn";
  }
  const section = $("result");
  section.hidden = false;
  section.className = tone;
  $("verdict").textContent = verdict;
  const summary = failed.length
    ? `Failed: ${failed.map((c) => c.label).join(", ")}. ${result.summary.startsWith("NOT VERIFIED") ? "" : "(Checked in your browser.)"}`
    : fileMatched
      ? result.summary
          .replace(`A file with SHA-256 ${receipt.evidence.sha256}`, "This file")
          .replace(`a file with SHA-256 ${receipt.evidence.sha256}`, "this file")
      : result.summary;
  $("summary").textContent = summary.trim();
  const facts = [
    ["Evidence", receipt.evidence.id],
    ["SHA-256", receipt.evidence.sha256],
    ["Received by the service", String(receipt.metadata.receivedAt)],
    ...result.times.map((t) => [
      t.source === "anchor" ? "No later than (chain anchor)" : "No later than (time-stamp)",
      `${utc(t.noLaterThan)} — ${t.by}${t.trusted ? "" : " (proves nothing to a third party)"}`,
    ]),
    ["Chain", `${result.chain.name} (chain id ${result.chain.chainId}, ${result.chain.trust})`],
    ["Block", String(receipt.anchor.blockNumber)],
    ["Transaction", receipt.anchor.txHash],
    ["Registry", receipt.anchor.registry],
    ...(receipt.timestampsPending?.length ? [["Time-stamps pending", receipt.timestampsPending.join(", ")]] : []),
  ];
  $("facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", k), el("dd", v)]));
  $("checks").tBodies[0].replaceChildren(
    ...checks.map((c) => {
      const row = document.createElement("tr");
      row.dataset.check = c.id;
      row.append(
        el("td", c.label),
        el("td", { pass: "✓ pass", fail: "✗ fail", warn: "! warning", skip: "– not checked" }[c.status], c.status),
        el("td", c.detail, "detail"),
        el("td", c.by),
      );
      return row;
    }),
  );
  section.focus();
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

function showError(message) {
  $("form-error").textContent = message;
  $("form-error").hidden = false;
}

$("verify-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("form-error").hidden = true;
  const receiptFile = $("receipt").files[0];
  const file = $("file").files[0];
  if (!receiptFile) return showError("Choose the receipt (receipt.json) first.");
  let receipt;
  try {
    receipt = JSON.parse(await receiptFile.text());
    if (!RECEIPT_VERSIONS.includes(receipt?.version)) throw new Error();
  } catch {
    return showError("That file is not an evidence receipt (evidence-receipt/v1 or v2).");
  }
  const button = $("verify-button");
  button.disabled = true;
  button.textContent = "Verifying…";
  try {
    const local = await localChecks(receipt, file);
    const server = await serverChecks(receipt, file, $("send-file").checked);
    render(receipt, [...local, ...server.checks], server.result);
  } catch (error) {
    showError(`Verification could not finish: ${error.message}`);
  } finally {
    button.disabled = false;
    button.textContent = "Verify";
  }
});

// Drop the receipt and the file anywhere on the page: a .json that parses as a receipt is the receipt.
document.addEventListener("dragover", (event) => {
  event.preventDefault();
  $("drop-zone").classList.add("dragging");
});
document.addEventListener("dragleave", () => $("drop-zone").classList.remove("dragging"));
document.addEventListener("drop", async (event) => {
  event.preventDefault();
  $("drop-zone").classList.remove("dragging");
  for (const dropped of event.dataTransfer.files) {
    const target = /\.json$/i.test(dropped.name) && /"evidence-receipt\/v[12]"/.test(await dropped.text()) ? "receipt" : "file";
    const transfer = new DataTransfer();
    transfer.items.add(dropped);
    $(target).files = transfer.files;
  }
});
$("result").tabIndex = -1;
