/**
 * The evidence bundle: one zip with everything needed to prove the evidence offline, years later, with
 * no service running: the original file, its receipt, the certificate, the metadata as the exact bytes
 * that were hashed, the content as a CAR file that re-hashes to its CID, each RFC 3161 time-stamp as a
 * .tsr with the root it stamps (root.bin) and its authority's CA as configured here, and a README with
 * the steps, down to the plain OpenSSL command.
 */
import { Readable } from "node:stream";
import yazl from "yazl";
import { canonicalJson } from "../domain/canonical-json.ts";
import { anchorPrecision, chainInfo, DEVELOPMENT_CHAIN_WARNING } from "../domain/chains.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";
import { timestampResponseFromToken } from "../domain/timestamp-token.ts";
import type { Verification } from "../domain/verification.ts";

export interface BundleInput {
  receipt: EvidenceReceipt;
  certificate: Buffer;
  /** The original bytes (already checked against the receipt's SHA-256). */
  content: AsyncIterable<Uint8Array>;
  /** The content's DAG as a CAR v1. */
  car: AsyncIterable<Uint8Array>;
  /** The receipt as verified when the bundle was made (its proven times). */
  verification: Verification;
  /** The PEM CA certificate this service trusts for each of the receipt's time-stamps, in order (undefined: none now). */
  tsaCas: (string | undefined)[];
  developmentChainIds?: readonly number[];
  generatedAt?: Date;
}

const RESERVED = new Set(["receipt.json", "certificate.pdf", "metadata.json", "content.car", "readme.txt", "root.bin"]);
const RESERVED_PATTERN = /^(timestamp-\d+\.tsr|tsa-ca-\d+\.pem)$/;

/** The name the original file gets in the bundle: its own, made safe, or one from its id and type. */
export function bundleFileName(receipt: EvidenceReceipt): string {
  const given = (receipt.metadata.fileName ?? "").replace(/[\\/:*?"<>|\u0000-\u001f]/g, "_").trim();
  const extension = EXTENSIONS[receipt.evidence.mediaType] ?? ".bin";
  const name = given || `${receipt.evidence.id}${extension}`;
  return RESERVED.has(name.toLowerCase()) || RESERVED_PATTERN.test(name.toLowerCase()) ? `file-${name}` : name;
}

const EXTENSIONS: Record<string, string> = {
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/webp": ".webp",
  "application/pdf": ".pdf",
  "application/json": ".json",
  "text/html": ".html",
  "text/plain": ".txt",
  "multipart/related": ".mhtml",
};

export function bundleZip(input: BundleInput): Readable {
  const { receipt: r } = input;
  const zip = new yazl.ZipFile();
  const mtime = input.generatedAt ?? new Date();
  const fileName = bundleFileName(r);
  zip.addReadStream(Readable.from(input.content), fileName, { mtime });
  zip.addBuffer(Buffer.from(JSON.stringify(r, null, 2) + "\n"), "receipt.json", { mtime });
  zip.addBuffer(input.certificate, "certificate.pdf", { mtime });
  zip.addBuffer(Buffer.from(canonicalJson(r.metadata)), "metadata.json", { mtime });
  zip.addReadStream(Readable.from(input.car), "content.car", { mtime });
  if (r.timestamps?.length) {
    zip.addBuffer(Buffer.from(r.merkle.root.slice(2), "hex"), "root.bin", { mtime });
    for (const [i, t] of r.timestamps.entries()) {
      zip.addBuffer(Buffer.from(timestampResponseFromToken(Buffer.from(t.token, "base64"))), `timestamp-${i + 1}.tsr`, { mtime });
      const ca = input.tsaCas[i];
      if (ca) zip.addBuffer(Buffer.from(ca), `tsa-ca-${i + 1}.pem`, { mtime });
    }
  }
  zip.addBuffer(Buffer.from(readme(input, fileName)), "README.txt", { mtime });
  zip.end();
  return zip.outputStream as Readable;
}

function readme(input: BundleInput, fileName: string): string {
  const { receipt: r, verification: v } = input;
  const chain = chainInfo(r.anchor.chainId, input.developmentChainIds);
  const time = new Date(r.anchor.timestamp * 1000).toISOString().replace(".000Z", "Z");
  const trusted = v.times.filter((t) => t.trusted);
  const stamps = r.timestamps ?? [];
  const lines: string[] = [];
  if (trusted.length) {
    const [first, ...rest] = trusted;
    lines.push(
      `The file in this bundle existed no later than ${first!.noLaterThan} (UTC), as proven by`,
      `${first!.by}`,
      `(${first!.precision}).`,
    );
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
  const what = [
    `${fileName.padEnd(20)} the evidence file, byte for byte as received`,
    `receipt.json         the portable proof (format ${r.version})`,
    "certificate.pdf      the same facts for a court, with a declaration template",
    "metadata.json        what was recorded about the file when it was received, as the exact",
    "                     RFC 8785 bytes whose SHA-256 is in the receipt",
    "content.car          the file as IPFS blocks (CAR v1), rooted at its CID",
  ];
  if (stamps.length) {
    what.push("root.bin             the 32 bytes of the Merkle root the time-stamps are over");
    for (const [i, t] of stamps.entries()) {
      what.push(`${`timestamp-${i + 1}.tsr`.padEnd(20)} the RFC 3161 time-stamp of ${t.tsa} (genTime ${t.genTime})`);
      if (input.tsaCas[i]) what.push(`${`tsa-ca-${i + 1}.pem`.padEnd(20)} the CA certificate this service trusts for that authority`);
    }
  }
  what.push("README.txt           this file");
  const tsaCas = stamps.map((_, i) => (input.tsaCas[i] ? ` --tsa-ca tsa-ca-${i + 1}.pem` : "")).join("");
  return `EVIDENCE BUNDLE ${r.evidence.id}
${"=".repeat(16 + r.evidence.id.length)}

${lines.join("\n")}

What is here
------------
${what.join("\n")}

How to check it yourself (no service needed)
--------------------------------------------
1. The file's fingerprint:
     sha256sum "${fileName}"
   must print ${r.evidence.sha256}

2. The metadata's fingerprint:
     sha256sum metadata.json
   must print ${r.evidence.metadataSha256}

3. Everything at once, against one or more JSON-RPC endpoints of chain ${r.anchor.chainId}:
     npx evidence verify receipt.json "${fileName}" --rpc <RPC URL>${tsaCas}
   (the evidence command comes with this project; it prints each check, VERIFIED and the earliest
   proven time; give --rpc twice, with endpoints of different providers, to have them agree)

4. By hand on a block explorer${chain.explorer ? ` (${chain.explorer})` : ""}: on the registry contract
   ${r.anchor.registry}
   read anchorOf(${r.merkle.root})
   It returns timestamp ${r.anchor.timestamp} (${time}; ${anchorPrecision(chain)}) and block ${r.anchor.blockNumber}.
   The transaction that anchored it is ${r.anchor.txHash}.
${stamps.length ? timestampSteps(input) : ""}
${stamps.length ? "6" : "5"}. The IPFS copy: "ipfs dag import content.car" then "ipfs cat ${r.evidence.cid}" gives the file back;
   every block in content.car hashes to its own CID, and "ipfs add --only-hash --cid-version=1" of the
   file gives ${r.evidence.cid}.
`;
}

function timestampSteps(input: BundleInput): string {
  const stamps = input.receipt.timestamps ?? [];
  const commands = stamps.map((t, i) =>
    input.tsaCas[i]
      ? `     openssl ts -verify -data root.bin -in timestamp-${i + 1}.tsr -CAfile tsa-ca-${i + 1}.pem`
      : `     openssl ts -verify -data root.bin -in timestamp-${i + 1}.tsr -CAfile <the CA certificate of ${t.tsa}>`,
  );
  return `
5. Each RFC 3161 time-stamp, with OpenSSL alone (each command prints "Verification: OK"):
${commands.join("\n")}
   root.bin is the Merkle root of step 4 as bytes (compare: xxd -p -c 32 root.bin). The CA files are
   what this service was configured to trust: for independence, obtain each authority's CA
   certificate from the authority itself (or its trusted list) and compare fingerprints:
     openssl x509 -in tsa-ca-1.pem -noout -fingerprint -sha256
   Then "openssl ts -reply -in timestamp-1.tsr -text" shows the time (genTime) and serial number.
`;
}
