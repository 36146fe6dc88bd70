/**
 * README.txt of an evidence bundle: what it proves, what each file is, and every step to check it
 * without the service, down to values a person can compare at each step: the verifier in the bundle
 * (node verify.mjs, verify.html), then by hand: the hashes, the leaf formula, the proof walked pair by
 * pair, the registry's calls with their ABI, selectors and calldata (cast, or curl alone), the RFC 3161
 * time-stamps with OpenSSL, and the IPFS copy.
 */
import { anchorPrecision, chainInfo, DEVELOPMENT_CHAIN_WARNING, type ChainInfo } from "../domain/chains.ts";
import { BUNDLE_FILES, ITEM_FILES, timestampFileName, tsaCaFileName } from "../domain/bundle-layout.ts";
import { leafHashOf, proofWalk } from "../domain/merkle-batch.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";
import {
  anchorOfData,
  declarationOf,
  REGISTRY_ABI,
  selectorOf,
  signatureOf,
  verifyData,
  verifyItemData,
  versionData,
  type AbiFunction,
} from "../domain/registry-calls.ts";
import type { Verification } from "../domain/verification.ts";

export interface ReadmeItem {
  receipt: EvidenceReceipt;
  verification: Verification;
  /** "" for the bundle's root, else e.g. "artifacts/screenshot". */
  folder: string;
  fileName: string;
  /** What the item is, in a few words ("the capture manifest"). */
  title: string;
  tsaCas: (string | undefined)[];
}

export interface ReadmeInput {
  /** "EVIDENCE BUNDLE ev_…", "CAPTURE BUNDLE cap_…". */
  heading: string;
  /** The item whose proven time heads the README (the capture's manifest). */
  main: ReadmeItem;
  items: ReadmeItem[];
  /** Lines describing the bundle's layout, after the common files. */
  layout: string[];
  /** What the main item's proven time is the time of (default: the file, or the capture). */
  subject?: string;
  /** The line on the certificate (default: certificate.pdf at the root). */
  certificateLine?: string;
  developmentChainIds?: readonly number[];
}

const pad = (name: string) => name.padEnd(24);

/**
 * The registry's check of one item: verifyItem(root, content, metadata, proof) from version 2; a first
 * registry has only verify(root, leaf, proof), given the leaf computed from the item's hashes.
 */
function inclusionCall(r: EvidenceReceipt): { abi: AbiFunction; data: string; args: string } {
  const [content, metadata] = [`0x${r.evidence.sha256}`, `0x${r.evidence.metadataSha256}`];
  const proof = `"[${r.merkle.proof.join(",")}]"`;
  if (Number(r.anchor.registryVersion ?? "1") >= 2) {
    return {
      abi: REGISTRY_ABI.verifyItem,
      data: verifyItemData(r.merkle.root, content, metadata, r.merkle.proof),
      args: `${r.merkle.root} ${content} ${metadata} ${proof}`,
    };
  }
  const leaf = leafHashOf([content, metadata]);
  return { abi: REGISTRY_ABI.verify, data: verifyData(r.merkle.root, leaf, r.merkle.proof), args: `${r.merkle.root} ${leaf} ${proof}` };
}
const at = (item: ReadmeItem, name: string) => (item.folder ? `${item.folder}/${name}` : name);
const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

export function bundleReadme(input: ReadmeInput): string {
  const { main } = input;
  const r = main.receipt;
  const chain = chainInfo(r.anchor.chainId, input.developmentChainIds);
  const sections = [
    `${input.heading}\n${"=".repeat(input.heading.length)}`,
    provenLines(input, chain),
    `What is here\n------------\n${whatIsHere(input).join("\n")}`,
    verifierSteps(chain),
    byHandIntro(chain),
    ...input.items.map((item, i) => itemSteps(item, i, input.items, chain)),
    chainSteps(input, chain),
    custodySteps(chain),
    developmentChainNote(chain),
  ];
  return `${sections.filter(Boolean).join("\n\n")}\n`;
}

function provenLines(input: ReadmeInput, chain: ChainInfo): string {
  const { receipt: r, verification: v } = input.main;
  const trusted = v.times.filter((t) => t.trusted);
  const what =
    input.subject ??
    (input.items.length > 1
      ? "The capture in this bundle (its manifest, which names every artifact by its SHA-256)"
      : "The file in this bundle");
  const lines: string[] = [];
  if (trusted.length) {
    const [first, ...rest] = trusted;
    lines.push(`${what} existed no later than ${first!.noLaterThan} (UTC), as proven by`, `${first!.by}`, `(${first!.precision}).`);
    for (const t of rest) lines.push(`Also proven: no later than ${t.noLaterThan}, by ${t.by}.`);
  }
  if (chain.trust === "development") {
    lines.push(
      `NOTE: the chain anchor is on ${chain.name} (chain id ${r.anchor.chainId}), a ${DEVELOPMENT_CHAIN_WARNING}:`,
      `whoever runs it can rewrite it and its clock.${trusted.length ? " The time above rests on the time-stamp alone." : " No time is proven by this bundle."}`,
    );
  } else if (chain.trust === "unknown") {
    lines.push(
      `NOTE: the chain anchor is on chain ${r.anchor.chainId}, not a public chain this service knows: who keeps it, and`,
      `whether its records can be altered, is not established here.${trusted.length ? " The time above rests on the time-stamp alone." : ""}`,
    );
  }
  return lines.join("\n");
}

function whatIsHere(input: ReadmeInput): string[] {
  const lines = [
    `${pad(BUNDLE_FILES.readme)}this file`,
    input.certificateLine ?? `${pad(BUNDLE_FILES.certificate)}the same facts for a court, with a declaration template`,
    `${pad(BUNDLE_FILES.verifyScript)}the verifier: "node ${BUNDLE_FILES.verifyScript}" checks everything below (step 1)`,
    `${pad(BUNDLE_FILES.verifyPage)}the same verifier as a page: open it in a browser (step 1)`,
    ...input.layout,
  ];
  const stamped = input.items.some((i) => i.receipt.timestamps?.length);
  lines.push(
    "",
    `${input.items.length > 1 ? "Each folder holds one evidence item" : "The evidence item"}:`,
    `${pad("  (the evidence file)")}byte for byte as received`,
    `${pad(`  ${ITEM_FILES.receipt}`)}its portable proof (format ${input.main.receipt.version})`,
    `${pad(`  ${ITEM_FILES.metadata}`)}what was recorded about the file when it was received, as the exact`,
    `${pad("")}RFC 8785 bytes whose SHA-256 is in the receipt`,
    `${pad(`  ${ITEM_FILES.car}`)}the file as IPFS blocks (CAR v1), rooted at its CID`,
    `${pad(`  ${ITEM_FILES.custody}`)}its chain of custody: every access to it recorded until this bundle was`,
    `${pad("")}made (this export is recorded after it; section 4)`,
  );
  if (stamped) {
    lines.push(
      `${pad(`  ${ITEM_FILES.root}`)}the 32 bytes of the Merkle root its time-stamps are over`,
      `${pad(`  ${timestampFileName(1)}, …`)}each RFC 3161 time-stamp of that root (a time-stamp reply)`,
      `${pad(`  ${tsaCaFileName(1)}, …`)}the CA certificate this service trusts for that authority`,
    );
  }
  return lines;
}

function verifierSteps(chain: ChainInfo): string {
  const rpc = `<RPC URL of chain ${chain.chainId}>`;
  return `How to check it yourself (no service needed)
--------------------------------------------
1. Everything at once, with the verifier in this bundle. It needs Node.js 20 or later (nodejs.org) and
   nothing else: no installation, and no network but the RPC endpoint you name. In this folder:
     node ${BUNDLE_FILES.verifyScript}
   checks every item offline: each file's SHA-256, size and IPFS CID, its metadata, its Merkle proof and
   its RFC 3161 time-stamps. Then, against any JSON-RPC endpoint of chain ${chain.chainId} (${chain.name}):
     node ${BUNDLE_FILES.verifyScript} --rpc ${rpc}
   also checks the chain: that the endpoint serves that chain (a known public chain by its block 0), the
   registry's version, the anchor, its block and transaction, and the registry's own inclusion check. It prints
   each check and a verdict, and exits 0 verified, 1 a check failed, 2 a file is missing or unreadable,
   3 every check passed but the anchor is on a development or unknown chain (which proves nothing to a
   third party), 4 the chain could not be reached, 5 nothing was found wrong but no time is proven (without
   --rpc, and no time-stamp checked against its authority's CA). "node ${BUNDLE_FILES.verifyScript} --help" says more; give
   --tsa-ca with an authority's CA certificate obtained from the authority itself to trust that instead
   of the ${tsaCaFileName(1)} files here.
   Or open ${BUNDLE_FILES.verifyPage} in a browser (Chrome, Edge, Firefox or Safari): it asks for this folder
   (a page opened from a file may read only the files you choose; nothing is uploaded), makes the same
   checks offline, and the chain checks once you paste an RPC URL (the endpoint must accept requests
   from a page opened from a file). It shows the same result "node ${BUNDLE_FILES.verifyScript}" prints.
   (The project that made this bundle has the same checks as its "evidence-anchor" command.)`;
}

function byHandIntro(chain: ChainInfo): string {
  return `2. By hand, step by step, with common tools: sha256sum (Windows: certutil -hashfile FILE SHA256),
   OpenSSL, and for keccak-256 and the chain either Foundry's "cast" (getfoundry.sh) or curl. Each step
   gives the value to expect. The Merkle tree is OpenZeppelin's StandardMerkleTree:
     leaf = keccak256(bytes.concat(keccak256(abi.encode(sha256, metadataSha256))))
   where sha256 is the file's SHA-256 and metadataSha256 that of metadata.json, both as bytes32; as both
   are 32 bytes, abi.encode(sha256, metadataSha256) is simply their 64 bytes one after the other. The
   proof is walked from the leaf: at each step, the current node and the next proof element are joined
   smaller first (compared as 256-bit numbers, that is, as hex strings of equal length), and hashed with
   keccak-256; the last hash must be the Merkle root, which the registry contract on chain ${chain.chainId}
   recorded (step 3). Where a step says "cast keccak 0xHEX", OpenSSL 3.2 or later gives the same hash:
     echo HEX | xxd -r -p | openssl dgst -KECCAK-256`;
}

function itemSteps(item: ReadmeItem, index: number, items: ReadmeItem[], chain: ChainInfo): string {
  const count = items.length;
  const r = item.receipt;
  const e = r.evidence;
  const leaf: [string, string] = [`0x${e.sha256}`, `0x${e.metadataSha256}`];
  const leafHash = leafHashOf(leaf);
  const inner = `0x${e.sha256}${e.metadataSha256}`;
  const steps = proofWalk(leafHash, r.merkle.proof);
  const walk = steps.length
    ? steps.map((s, i) => {
        const [a, b] = s.node < s.sibling ? [s.node, s.sibling] : [s.sibling, s.node];
        return `     step ${i + 1}: cast keccak 0x${a.slice(2)}${b.slice(2)}\n             = ${s.parent}`;
      })
    : ["     (the batch held this item alone: the leaf is the root)"];
  const title = `${count > 1 ? `Item ${index + 1} of ${count}: ` : ""}${at(item, item.fileName)} (${item.title})`;
  const cd = item.folder ? `   In the folder ${item.folder}:\n` : "";
  return `${title}
${"-".repeat(Math.min(title.length, 100))}
${cd}   a. The file's SHA-256:   sha256sum "${item.fileName}"
      must print ${e.sha256}
   b. The metadata's SHA-256:   sha256sum ${ITEM_FILES.metadata}
      must print ${e.metadataSha256}
   c. The leaf:   cast keccak $(cast keccak ${inner})
      must print ${leafHash}
   d. The proof (${steps.length} step${steps.length === 1 ? "" : "s"}), each hash joining the previous result and the next proof element:
${walk.join("\n")}
      The last result must be the Merkle root ${r.merkle.root}.
   e. On chain ${chain.chainId}, the registry's ${inclusionCall(r).abi.name} for this item (step 3 shows how to call it):
      calldata ${inclusionCall(r).data}
      It must return ${r.anchor.timestamp} (the anchor's block time); 0 means the item is not proven.
${timestampSteps(item, items.find((i) => i.receipt.timestamps?.length) === item)}   ${r.timestamps?.length ? "g" : "f"}. The IPFS copy: "ipfs dag import ${ITEM_FILES.car}" then "ipfs cat ${e.cid}" gives the file back;
      every block in ${ITEM_FILES.car} hashes to its own CID, and "ipfs add --only-hash --cid-version=1" of the
      file gives ${e.cid}.`;
}

/** `explain`: the first item with time-stamps says what the files are; the others refer to it. */
function timestampSteps(item: ReadmeItem, explain: boolean): string {
  const stamps = item.receipt.timestamps ?? [];
  if (!stamps.length) return "";
  const commands = stamps.map((t, i) =>
    item.tsaCas[i]
      ? `        openssl ts -verify -data ${ITEM_FILES.root} -in ${timestampFileName(i + 1)} -CAfile ${tsaCaFileName(i + 1)}`
      : `        openssl ts -verify -data ${ITEM_FILES.root} -in ${timestampFileName(i + 1)} -CAfile <the CA certificate of ${t.tsa}>`,
  );
  const head = `   f. Each RFC 3161 time-stamp, with OpenSSL alone (each command prints "Verification: OK"):\n${commands.join("\n")}\n`;
  if (!explain) return `${head}      (as for the first item: see there what these files are, and how to check the CA files)\n`;
  return `${head}      ${ITEM_FILES.root} is the Merkle root as bytes (compare: xxd -p -c 32 ${ITEM_FILES.root}). The CA files are
      what this service was configured to trust: for independence, obtain each authority's CA
      certificate from the authority itself (or its trusted list) and compare fingerprints:
        openssl x509 -in ${tsaCaFileName(1)} -noout -fingerprint -sha256
      Then "openssl ts -reply -in ${timestampFileName(1)} -text" shows the time (genTime) and serial number.
`;
}

function chainSteps(input: ReadmeInput, chain: ChainInfo): string {
  const rpc = `<RPC URL of chain ${chain.chainId}>`;
  const a = input.main.receipt.anchor;
  const roots = [...new Map(input.items.map((i) => [i.receipt.merkle.root, i.receipt.anchor])).entries()];
  const post = (method: string, params: string) =>
    `curl -s -X POST -H "content-type: application/json" --data '{"jsonrpc":"2.0","id":1,"method":"${method}","params":${params}}' ${rpc}`;
  const word = (n: number) => n.toString(16).padStart(64, "0");
  const anchors = roots.map(([root, anchor]) =>
    [
      `     cast call ${anchor.registry} "${signatureOf(REGISTRY_ABI.anchorOf)}(uint64,uint64,address)" ${root} --rpc-url ${rpc}`,
      `       must print ${anchor.timestamp} (${iso(anchor.timestamp)}), then ${anchor.blockNumber} (the block), then the anchoring account`,
      `     or: ${post("eth_call", `[{"to":"${anchor.registry}","data":"${anchorOfData(root)}"},"latest"]`)}`,
      `       "result" must start 0x${word(anchor.timestamp)}${word(anchor.blockNumber)}`,
    ].join("\n"),
  );
  const first = input.items[0]!.receipt;
  const inclusion = inclusionCall(first);
  const v1 = inclusion.abi !== REGISTRY_ABI.verifyItem;
  const abi = [REGISTRY_ABI.anchorOf, inclusion.abi].map((f) => `     ${JSON.stringify(f)}`);
  const title = `3. The chain, with any JSON-RPC endpoint of chain ${chain.chainId} (${chain.name}), by cast or by curl`;
  return `${title}
${"-".repeat(title.length)}
   Which chain the endpoint serves:
     cast chain-id --rpc-url ${rpc}     must print ${chain.chainId}
     or: ${post("eth_chainId", "[]")}
       "result" must be 0x${chain.chainId.toString(16)}
${
  chain.genesisHash
    ? `     cast block 0 --field hash --rpc-url ${rpc}
       must print ${chain.genesisHash} (${chain.name}'s block 0: a chain id alone anyone can copy)
     or: ${post("eth_getBlockByNumber", '["0x0",false]')}
       "hash" must be ${chain.genesisHash}`
    : `     (a block 0 hash names a known public chain; chain ${chain.chainId} is not one this service knows)`
}
   The registry contract is ${a.registry}. Its read functions (contracts/IEvidenceRegistry.sol):
     ${declarationOf(REGISTRY_ABI.anchorOf)}
       selector ${selectorOf(REGISTRY_ABI.anchorOf)} = the first 4 bytes of keccak256("${signatureOf(REGISTRY_ABI.anchorOf)}")
     ${declarationOf(inclusion.abi)}
       selector ${selectorOf(inclusion.abi)} = the first 4 bytes of keccak256("${signatureOf(inclusion.abi)}")
     ${declarationOf(REGISTRY_ABI.VERSION)}    (selector ${selectorOf(REGISTRY_ABI.VERSION)}${v1 ? "; a version 1 registry has none: the call reverts" : ""})
   As JSON ABI:
${abi.join("\n")}
   Its version (what its calls mean), which the receipt states as ${JSON.stringify(a.registryVersion ?? "1")}:
${
  v1
    ? `     cast call ${a.registry} "VERSION()(string)" --rpc-url ${rpc}      must revert (a version 1 registry)`
    : `     cast call ${a.registry} "VERSION()(string)" --rpc-url ${rpc}      must print "${a.registryVersion}"
     or: ${post("eth_call", `[{"to":"${a.registry}","data":"${versionData()}"},"latest"]`)}
       "result" must be 0x${word(32)}${word(Buffer.byteLength(a.registryVersion ?? ""))}${Buffer.from(a.registryVersion ?? "")
         .toString("hex")
         .padEnd(64, "0")}`
}
   The anchor of ${roots.length > 1 ? "each Merkle root" : "the Merkle root"} (block time and block number; zeros if never anchored):
${anchors.join("\n")}
   The registry's own check of an item (here ${at(input.items[0]!, input.items[0]!.fileName)}; each item's calldata is in its step e):
     cast call ${first.anchor.registry} "${signatureOf(inclusion.abi)}(uint64)" ${inclusion.args} --rpc-url ${rpc}
       must print ${first.anchor.timestamp}
     or: ${post("eth_call", `[{"to":"${first.anchor.registry}","data":"<the calldata of step e>"},"latest"]`)}
       "result" must be 0x${word(first.anchor.timestamp)}
   The block and the transaction:
     cast block ${a.blockNumber} --field hash --rpc-url ${rpc}      must print ${a.blockHash}
     or: ${post("eth_getBlockByNumber", `["0x${a.blockNumber.toString(16)}",false]`)}
       "hash" must be ${a.blockHash}, "timestamp" 0x${a.timestamp.toString(16)} (${a.timestamp} = ${iso(a.timestamp)}; ${anchorPrecision(chain)})
     cast receipt ${a.txHash} status --rpc-url ${rpc}      must print 1 (success)
     or: ${post("eth_getTransactionReceipt", `["${a.txHash}"]`)}
       "status" must be 0x1, "blockHash" ${a.blockHash}, "to" the registry${chain.explorer ? `\n   On a block explorer: ${chain.explorer}/address/${a.registry} (Read Contract: anchorOf, ${inclusion.abi.name}).` : ""}`;
}

function custodySteps(chain: ChainInfo): string {
  const protection =
    chain.trust === "public"
      ? "the log up to an anchored head cannot be rewritten unnoticed."
      : `on a public chain, the log up to an anchored head could not be rewritten unnoticed; chain
   ${chain.chainId} is ${chain.trust === "development" ? "a development chain" : "not a public chain this service knows"}, and whoever runs it could rewrite the log and its anchors together.`;
  return `4. The chain of custody (${ITEM_FILES.custody} in each item's folder)
-------------------------------------------------
   The service records every access to an item (stored, read, downloaded, exported: when, by which
   account and API key, by which route, from which address, with what answer) in one append-only log
   for all items. Each entry is chained to the one before it:
     entrySha256 = SHA-256(the entry's RFC 8785 canonical JSON)
     hash        = SHA-256(prev || entrySha256)      (the two 32-byte digests; prev of entry 1 is 32 zero bytes)
   so an entry's hash stands for the whole log up to it. With every Merkle batch the log's head (its last
   entry's seq and hash) is anchored as one more leaf, [0x hash, 0x SHA-256 of the canonical JSON
   {"format":"custody-log/v1","hash":…,"kind":"custody-head","seq":…}], whose proof leads to the root the
   registry holds (anchorOf, step 3): ${protection}
   ${ITEM_FILES.custody} shows this item's entries in full, other items' entries between them by their
   digests only, and the anchored heads that cover them. "node ${BUNDLE_FILES.verifyScript}" checks it (custody
   log: every digest and link, and that no run of entries can have lost one before it; custody anchors,
   with --rpc: each head's root on chain ${chain.chainId}). Entries after the last anchored head are chained but not
   yet anchored: a later bundle, or the service's GET /v1/evidence/<id>/custody, shows them anchored.`;
}

function developmentChainNote(chain: ChainInfo): string {
  const general = `On a development chain
----------------------
A development chain (chain id 31337 or 1337, or one its operator names) runs on its operator's computer:
whoever runs it can rewrite its blocks and its clock, and nobody else can check it. An anchor there proves
nothing to a third party, whatever the steps above print; "node ${BUNDLE_FILES.verifyScript}" then exits 3 and
says so. The time of such evidence rests on its RFC 3161 time-stamps alone (step f of each item).`;
  if (chain.trust !== "development") return general;
  return `${general}
This bundle's anchor IS on a development chain (${chain.name}, chain id ${chain.chainId}): step 3 can be run only
against its operator's chain while it runs, and proves nothing to a third party even then.`;
}
