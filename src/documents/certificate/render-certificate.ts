/**
 * The court certificate: a PDF a lawyer can file, naming who issued it, stating what the evidence is
 * (an uploaded file, or a capture the service made and what it observed), its fingerprints, its Merkle
 * inclusion, its time evidence (the chain anchor and any RFC 3161 time-stamps, as verified when the
 * certificate was made), how anyone can check them without the issuer, and the operator's declaration
 * in English and Chinese. Every sentence holds for the chain it names: on a development chain, nothing
 * claims the record is beyond anyone's reach. It is made once per anchored item and kept (see
 * use-cases/fixed-certificate.ts); signing, when configured, is applied to the finished bytes.
 */
import { anchorPrecision, chainInfo, DEVELOPMENT_CHAIN_WARNING } from "../../domain/chains.ts";
import type { CustodyEntry } from "../../domain/custody-log.ts";
import type { EvidenceReceipt } from "../../domain/receipt.ts";
import type { Verification } from "../../domain/verification.ts";
import type { CaptureFacts } from "./capture-section.ts";
import { declarations } from "./declarations.ts";
import { evidenceSection } from "./evidence-section.ts";
import { utc, utcMs } from "./format.ts";
import { openLayout, type Layout } from "./layout.ts";

export type { CaptureFacts } from "./capture-section.ts";

/** Printed when the operator has configured no statement of its own (OPERATOR_STATEMENT). */
export const DEFAULT_OPERATOR_STATEMENT =
  "The issuer runs the evidence preservation service that made this certificate. The certificate states what that service received, computed and observed, and how each of those facts can be checked without relying on the issuer. It does not state whether the issuer is connected to any party to a dispute.";

export interface CertificateInput {
  receipt: EvidenceReceipt;
  /** The receipt as verified against this service's chain and TSAs' CAs, when the certificate is made. */
  verification: Verification;
  /** The chain ids this service counts as development chains, beyond 31337 and 1337. */
  developmentChainIds?: readonly number[];
  /** The public verification page (with a QR code to it); absent when the service has no public address. */
  verifyUrl?: string;
  issuer: { name?: string; contact?: string; statement?: string };
  /** The certificate the PDF will be signed with, when it will be. */
  signedBy?: { subject: string; issuer: string; serialNumber: string; validTo: string };
  /** For a capture the service made: what it observed. */
  capture?: CaptureFacts;
  /** The item's chain of custody when the certificate is made: its entries, and how many an anchored head covers. */
  custody: { entries: CustodyEntry[]; anchored: number };
  /** Whether the evidence bundle carries tsa-ca-N.pem for each time-stamp (the CA configured for its TSA). */
  tsaCaInBundle: boolean[];
  generatedAt: Date;
}

export async function renderCertificate(input: CertificateInput): Promise<Buffer> {
  const { receipt: r } = input;
  const l = await openLayout({
    // The title names the item: a certificate served for another item is recognised by it.
    title: certificateTitle(r.evidence.id),
    subject: `SHA-256 ${r.evidence.sha256}`,
    creationDate: input.generatedAt,
  });
  await header(l, input);
  evidenceSection(l, r.metadata, input.capture);
  verificationSections(l, input);
  custodySection(l, input);
  const stamps = input.verification.checks.filter((c) => /^timestamp\.\d+$/.test(c.id));
  declarations(l, {
    receipt: r,
    chain: chainInfo(r.anchor.chainId, input.developmentChainIds),
    stamped: (r.timestamps ?? []).filter((_, i) => stamps[i]?.status === "pass"),
    capture: input.capture,
  });
  return l.finish((page, pages) => `Certificate of evidence ${r.evidence.id} · page ${page} of ${pages}`);
}

/** Who did what to the item, as recorded until the certificate was made. */
function custodySection(l: Layout, input: CertificateInput) {
  const { entries, anchored } = input.custody;
  const id = input.receipt.evidence.id;
  const chain = chainInfo(input.receipt.anchor.chainId, input.developmentChainIds);
  // What anchoring the log's head protects against holds only where the anchor itself proves something.
  const protection =
    chain.trust === "public"
      ? "so the log up to an anchored head cannot be rewritten unnoticed"
      : `on the chain of section 4.1; as that chain is ${chain.trust === "development" ? "a development chain its operator can rewrite" : "not a public chain this service knows"}, the anchoring does not protect the log against whoever runs it`;
  l.heading("6. Chain of custody");
  l.para(
    `The service records every access to an item (stored, read, downloaded, exported: when, by which account and API key, by which route, from which address, with what answer) in one append-only log, each entry chained to the one before it by SHA-256; the log's head is anchored with every Merkle batch, ${protection} (README.txt of the evidence bundle, section 4). When this certificate was made, the log listed ${entries.length} ${entries.length === 1 ? "access" : "accesses"} of ${input.capture ? "this capture's manifest" : "this item"}, ${anchored === entries.length ? (entries.length === 1 ? "covered" : "all covered") : `${anchored} of them covered`} by an anchored head:`,
  );
  const shown = entries.slice(0, CUSTODY_LINES);
  for (const e of shown) l.code(custodyLine(e));
  if (entries.length > shown.length) l.para(`… and ${entries.length - shown.length} more.`);
  l.para(
    `Accesses after this certificate was made (including the download that gave it out) are added to the same log: the evidence bundle's custody.json and GET /v1/evidence/${id}/custody show the log as it stands when they are made, and "node verify.mjs" checks it.`,
  );
}

/** At most this many entries are printed; the bundle's custody.json has them all. */
const CUSTODY_LINES = 20;

/** Two lines: what was done and answered, then by whom and from where. */
function custodyLine(e: CustodyEntry): string {
  const what = e.route === "capture" ? `stored by capture ${e.captureId ?? ""}` : `${e.method ?? ""} ${e.route}`;
  const who = [`account ${e.accountId}`, e.keyId ? `key ${e.keyId}` : "", e.client ? `from ${e.client}` : ""].filter(Boolean);
  return `${e.seq}. ${e.at.replace("T", " ").replace("Z", " UTC")}  ${what} -> ${e.status}${e.code ? ` ${e.code}` : ""}\n    ${who.join(", ")}`;
}

export const certificateTitle = (evidenceId: string) => `Certificate of blockchain-anchored evidence ${evidenceId}`;

async function header(l: Layout, input: CertificateInput) {
  const { doc, width } = l;
  const r = input.receipt;
  const chain = chainInfo(r.anchor.chainId, input.developmentChainIds);
  const trustedTimes = input.verification.times.filter((t) => t.trusted);
  const top = doc.page.margins.top;
  const left = doc.page.margins.left;
  // The QR code to the verification page sits at the top right, beside the title, when there is a page to go to.
  const qrSize = input.verifyUrl ? 78 : 0;
  if (input.verifyUrl) {
    const { default: QRCode } = await import("qrcode");
    const qr = await QRCode.toBuffer(input.verifyUrl, { errorCorrectionLevel: "M", margin: 1, width: 220 });
    const qrX = doc.page.width - doc.page.margins.right - qrSize;
    doc.image(qr, qrX, top - 6, { width: qrSize });
    doc
      .font("regular")
      .fontSize(6.5)
      .fillColor("#444")
      .text("Verify online", qrX, top + qrSize - 4, { width: qrSize, align: "center" });
    doc.x = left;
    doc.y = top;
  }
  const beside = { width: qrSize ? width - qrSize - 12 : width };
  doc.font("bold").fontSize(18).fillColor("#000").text("Certificate of Blockchain-Anchored Evidence", beside);
  doc
    .font("regular")
    .fontSize(9.5)
    .fillColor("#444")
    .text(
      `Evidence ${r.evidence.id} · generated ${input.generatedAt
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, " UTC")}`,
      beside,
    );
  doc.moveDown(0.3).fillColor("#000");
  const { name, contact } = input.issuer;
  l.write(
    `Issued by: ${name ?? "the operator of this evidence-anchor service (who has not configured its name)"}${contact ? ` · ${contact}` : ""}`,
    "bold",
    9.5,
    beside,
  );
  doc.fillColor("#333");
  l.write(input.issuer.statement ?? DEFAULT_OPERATOR_STATEMENT, "regular", 8, beside);
  const s = input.signedBy;
  l.write(
    s
      ? `Electronic signature: this PDF is signed with the certificate of ${s.subject}, issued by ${s.issuer} (serial ${s.serialNumber}, valid until ${s.validTo}). A PDF reader, or pdfsig, checks the signature; any change to the file breaks it.`
      : "Electronic signature: none. The issuing service recorded this document's SHA-256 when it made it, and gives out the same bytes on every download.",
    "regular",
    8,
    beside,
  );
  doc.y = Math.max(doc.y, top + qrSize + 10); // below the QR code
  if (trustedTimes.length) {
    const [first, ...rest] = trustedTimes;
    l.banner(`The file described below existed no later than ${utcMs(first!.noLaterThan)}, as proven by ${first!.by}.`, "#0b6b2f");
    doc
      .font("regular")
      .fontSize(8.5)
      .fillColor("#333")
      .text([`(${first!.precision}.)`, ...rest.map((t) => `Also proven: no later than ${utcMs(t.noLaterThan)}, by ${t.by}.`)].join(" "), {
        width,
      });
  }
  if (chain.trust === "development") {
    l.banner(
      `The chain anchor is on a ${DEVELOPMENT_CHAIN_WARNING}: ${chain.name} is run by the operator of this service, who can rewrite it and its clock. ` +
        (trustedTimes.length ? "The time above rests on the time-stamp alone." : "This certificate proves no time."),
      "#a4161a",
      9.5,
    );
  } else if (chain.trust === "unknown") {
    l.banner(
      `The chain anchor is on chain ${chain.chainId}, which is not a public chain this service knows: who keeps that chain, and whether its records can be altered, is not established here.` +
        (trustedTimes.length ? " The time above rests on the time-stamp alone." : " This certificate proves no time."),
      "#a4161a",
      9.5,
    );
  }
}

/** Sections 2 to 5: fingerprints, Merkle inclusion, time evidence, and how to check them all. */
function verificationSections(l: Layout, input: CertificateInput) {
  const { receipt: r, verification: v } = input;
  const m = r.metadata;
  const chain = chainInfo(r.anchor.chainId, input.developmentChainIds);
  const stamps = v.checks.filter((c) => /^timestamp\.\d+$/.test(c.id));

  l.heading("2. Fingerprints");
  l.row("SHA-256 of the file", r.evidence.sha256, true);
  l.row("IPFS CID (ipfs add --cid-version=1)", r.evidence.cid, true);
  l.row("SHA-256 of the metadata (RFC 8785)", r.evidence.metadataSha256, true);

  l.heading("3. Merkle inclusion (OpenZeppelin StandardMerkleTree)");
  l.row("Leaf [file SHA-256, metadata SHA-256]", r.merkle.leaf.join(", "), true);
  l.row("Root", r.merkle.root, true);
  l.row("Proof", r.merkle.proof.length ? "" : "(empty: the batch held this item alone)", false);
  for (const [i, p] of r.merkle.proof.entries()) l.code(`  ${i + 1}. ${p}`);

  l.heading("4. Time evidence");
  l.subheading("4.1 Blockchain anchor");
  l.row("Chain", `${chain.name} (chain id ${r.anchor.chainId})${chain.trust === "development" ? ` — ${DEVELOPMENT_CHAIN_WARNING}` : ""}`);
  l.row("Registry contract", `${r.anchor.registry} (EvidenceRegistry version ${r.anchor.registryVersion ?? "1"})`);
  l.row("Transaction", r.anchor.txHash, true);
  l.row("Block number", r.anchor.blockNumber);
  l.row("Block hash", r.anchor.blockHash, true);
  l.row("Block time", `${utc(r.anchor.timestamp)} (Unix ${r.anchor.timestamp})`);
  if (v.anchoredAt) {
    // Only a public chain's anchor proves a time; on another, the same bound is what it would prove.
    const label = chain.trust === "public" ? "Proves existence no later than" : "Block time bound (not a proof on this chain)";
    l.row(label, `${utcMs(v.anchoredAt.noLaterThan)} (${anchorPrecision(chain)})`);
  }
  const finality = v.checks.find((c) => c.id === "chain.finality");
  if (finality && finality.status !== "skip") l.row("Depth when this certificate was made", finality.detail);

  l.subheading("4.2 RFC 3161 time-stamps of the Merkle root");
  if (!r.timestamps?.length && !r.timestampsPending?.length)
    l.para("None: no time-stamp authority was configured when this item was batched.");
  for (const [i, t] of (r.timestamps ?? []).entries()) {
    const check = stamps[i];
    l.row(`Time-stamp ${i + 1}: authority`, t.tsa);
    l.row("  genTime (the authority's time)", `${t.genTime}`);
    l.row("  Serial number", t.serialNumber, true);
    l.row(
      "  Checked when this certificate was made",
      check?.status === "pass"
        ? `${check.detail.replace(/^[^:]+: /, "")}.`
        : check?.status === "warn"
          ? "the signature holds, but no CA was configured for this authority: it proves no time here."
          : `FAILED: ${check?.detail ?? "not checked"}`,
    );
  }
  if (r.timestampsPending?.length)
    l.row("Still pending", `${r.timestampsPending.join(", ")} (the authority had not answered when this certificate was made)`);

  l.heading("5. How to verify this independently");
  l.para(
    "Anyone can check this certificate without trusting the service that issued it. With the file and its receipt (receipt.json, in the evidence bundle):",
  );
  const file = m.fileName ? JSON.stringify(m.fileName) : "FILE";
  l.para(`a) The file's fingerprint. The command below must print ${r.evidence.sha256}:`);
  l.code(`sha256sum ${file}`);
  const caFile = (i: number) => (input.tsaCaInBundle[i] ? `tsa-ca-${i + 1}.pem` : `<the CA certificate of ${r.timestamps![i]!.tsa}>`);
  l.para(
    `b) Every check at once, with the verifier in the evidence bundle: it needs Node.js 20 or later and nothing else (no installation). In the unpacked bundle, the command checks every file, receipt, proof, time-stamp${r.timestamps?.length ? " (against the CA certificates in the bundle; obtain them from each authority to be independent of us)" : ""} and the chain of custody, then, against an RPC endpoint of the chain, the anchor, and prints VERIFIED with the earliest proven time. verify.html in the bundle does the same in a browser.`,
  );
  l.code(`node verify.mjs --rpc <RPC URL of chain ${r.anchor.chainId}>`);
  const explorer = `c) With a block explorer${chain.explorer ? ` (${chain.explorer}/address/${r.anchor.registry}#readContract)` : ""}: on the registry ${r.anchor.registry}, read anchorOf with the root above. It returns timestamp ${r.anchor.timestamp} (${utc(r.anchor.timestamp)}) and block ${r.anchor.blockNumber}.`;
  l.para(
    Number(r.anchor.registryVersion ?? "1") >= 2
      ? `${explorer} Then call verifyItem(root, 0x${r.evidence.sha256}, 0x${r.evidence.metadataSha256}, the proof above): it returns the same timestamp.`
      : `${explorer} Then read leafHash(0x${r.evidence.sha256}, 0x${r.evidence.metadataSha256}) and call verify(root, that leaf hash, the proof above): it returns the same timestamp.`,
  );
  if (r.timestamps?.length) {
    l.para(
      "d) Each time-stamp with OpenSSL alone: root.bin holds the 32 bytes of the Merkle root above, timestamp-N.tsr the authority's token. The command prints Verification: OK:",
    );
    for (const [i] of r.timestamps.entries()) l.code(`openssl ts -verify -data root.bin -in timestamp-${i + 1}.tsr -CAfile ${caFile(i)}`);
  }
  const last = r.timestamps?.length ? "e" : "d";
  l.para(
    input.verifyUrl
      ? `${last}) Or open ${input.verifyUrl} (the QR code at the top), choose the receipt and the file: the file is hashed in the browser and not uploaded.`
      : `${last}) This certificate gives no web address of the issuing service: the steps above need nothing from it, only the file, its receipt and the chain.`,
  );
}
