/**
 * The evidence bundle: one zip with everything needed to prove the evidence offline, years later, with
 * no service running: the original file, its receipt, the certificate, the metadata as the exact bytes
 * that were hashed, the content as a CAR file that re-hashes to its CID, and a README with the steps.
 */
import { Readable } from "node:stream";
import yazl from "yazl";
import { canonicalJson } from "../domain/canonical-json.ts";
import { chainInfo } from "../domain/chains.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";

export interface BundleInput {
  receipt: EvidenceReceipt;
  certificate: Buffer;
  /** The original bytes (already checked against the receipt's SHA-256). */
  content: AsyncIterable<Uint8Array>;
  /** The content's DAG as a CAR v1. */
  car: AsyncIterable<Uint8Array>;
  generatedAt?: Date;
}

const RESERVED = new Set(["receipt.json", "certificate.pdf", "metadata.json", "content.car", "readme.txt"]);

/** The name the original file gets in the bundle: its own, made safe, or one from its id and type. */
export function bundleFileName(receipt: EvidenceReceipt): string {
  const given = (receipt.metadata.fileName ?? "").replace(/[\\/:*?"<>|\u0000-\u001f]/g, "_").trim();
  const extension = EXTENSIONS[receipt.evidence.mediaType] ?? ".bin";
  const name = given || `${receipt.evidence.id}${extension}`;
  return RESERVED.has(name.toLowerCase()) ? `file-${name}` : name;
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
  zip.addBuffer(Buffer.from(readme(r, fileName)), "README.txt", { mtime });
  zip.end();
  return zip.outputStream as Readable;
}

function readme(r: EvidenceReceipt, fileName: string): string {
  const chain = chainInfo(r.anchor.chainId);
  const time = new Date(r.anchor.timestamp * 1000).toISOString().replace(".000Z", "Z");
  return `EVIDENCE BUNDLE ${r.evidence.id}
${"=".repeat(16 + r.evidence.id.length)}

The file in this bundle existed no later than ${time} (UTC): its fingerprint was anchored in
block ${r.anchor.blockNumber} of ${chain.name} (chain id ${r.anchor.chainId}).${
    chain.public
      ? ""
      : `
NOTE: that is a local development chain, which only its operator can read.`
  }

What is here
------------
${fileName.padEnd(20)} the evidence file, byte for byte as received
receipt.json         the portable proof (format evidence-receipt/v1)
certificate.pdf      the same facts for a court, with a declaration template
metadata.json        what was recorded about the file when it was received, as the exact
                     RFC 8785 bytes whose SHA-256 is in the receipt
content.car          the file as IPFS blocks (CAR v1), rooted at its CID
README.txt           this file

How to check it yourself (no service needed)
--------------------------------------------
1. The file's fingerprint:
     sha256sum "${fileName}"
   must print ${r.evidence.sha256}

2. The metadata's fingerprint:
     sha256sum metadata.json
   must print ${r.evidence.metadataSha256}

3. Everything at once, against any JSON-RPC endpoint of chain ${r.anchor.chainId}:
     npx evidence verify receipt.json "${fileName}" --rpc <RPC URL>
   (the evidence command comes with this project; it prints each check and VERIFIED)

4. By hand on a block explorer${chain.explorer ? ` (${chain.explorer})` : ""}: on the registry contract
   ${r.anchor.registry}
   read anchorOf(${r.merkle.root})
   It returns timestamp ${r.anchor.timestamp} (${time}) and block ${r.anchor.blockNumber}.
   The transaction that anchored it is ${r.anchor.txHash}.

5. The IPFS copy: "ipfs dag import content.car" then "ipfs cat ${r.evidence.cid}" gives the file back;
   every block in content.car hashes to its own CID, and "ipfs add --only-hash --cid-version=1" of the
   file gives ${r.evidence.cid}.
`;
}
