/**
 * The court certificate: a PDF a lawyer can file, stating what the evidence is, its fingerprints, its
 * Merkle inclusion, its time evidence (the chain anchor and any RFC 3161 time-stamps, as verified when
 * the certificate was made), how anyone can check them without us, and a declaration template for the
 * operator (in the style of US FRE 902(13)/(14)). Every sentence holds for the chain it names: on a
 * development chain, nothing claims the record is beyond anyone's reach. Rendered with pdfkit and DejaVu Sans (Latin,
 * Greek, Cyrillic); characters DejaVu lacks, Chinese, Japanese and Korean in file names and claims, are
 * set in a CJK font from the system when one is installed (Debian's fonts-wqy-microhei).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

import { anchorPrecision, chainInfo, DEVELOPMENT_CHAIN_WARNING } from "../domain/chains.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";
import type { Verification } from "../domain/verification.ts";

const require = createRequire(import.meta.url);
const FONT_DIR = join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
const FONTS = {
  regular: join(FONT_DIR, "DejaVuSans.ttf"),
  bold: join(FONT_DIR, "DejaVuSans-Bold.ttf"),
  mono: join(FONT_DIR, "DejaVuSansMono.ttf"),
};

export interface CertificateInput {
  receipt: EvidenceReceipt;
  /** The receipt as verified against this service's chain and TSAs' CAs, when the certificate is made. */
  verification: Verification;
  /** The chain ids this service counts as development chains, beyond 31337 and 1337. */
  developmentChainIds?: readonly number[];
  /** Where the verification page is: `${publicUrl}/verify`. */
  publicUrl: string;
  generatedAt?: Date;
}

/** System CJK fonts, in order of preference (path, and the face's PostScript name inside a collection). */
const CJK_FONTS = [
  { path: "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", face: "WenQuanYiMicroHei" },
  { path: "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", face: undefined },
];

interface GlyphCoverage {
  hasGlyphForCodePoint(codePoint: number): boolean;
}
let dejaVu: GlyphCoverage | undefined;

/** The text cut into runs that DejaVu can set and runs that need the CJK font. */
function fontRuns(text: string): { text: string; fallback: boolean }[] {
  dejaVu ??= (require("fontkit") as { openSync(path: string): GlyphCoverage }).openSync(FONTS.regular);
  const runs: { text: string; fallback: boolean }[] = [];
  for (const char of text) {
    const fallback = !/\s/.test(char) && !dejaVu.hasGlyphForCodePoint(char.codePointAt(0)!);
    const last = runs[runs.length - 1];
    if (last && (last.fallback === fallback || /\s/.test(char))) last.text += char;
    else runs.push({ text: char, fallback });
  }
  return runs;
}

const utc = (seconds: number) =>
  new Date(seconds * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.000Z$/, " UTC");
/** An ISO instant with its milliseconds, as a reader expects a time: "2026-11-27 12:36:52.999 UTC". */
const utcMs = (iso: string) => iso.replace("T", " ").replace(/Z$/, " UTC");

export async function renderCertificate(input: CertificateInput): Promise<Buffer> {
  // Loaded on first use: pdfkit and its font engine are large, and most processes never render one.
  const [{ default: PDFDocument }, { default: QRCode }] = await Promise.all([import("pdfkit"), import("qrcode")]);
  const { receipt: r } = input;
  const m = r.metadata;
  const chain = chainInfo(r.anchor.chainId, input.developmentChainIds);
  const v = input.verification;
  const trustedTimes = v.times.filter((t) => t.trusted);
  const stamps = v.checks.filter((c) => /^timestamp\.\d+$/.test(c.id));
  const verifyUrl = `${input.publicUrl}/verify`;
  const qr = await QRCode.toBuffer(verifyUrl, { errorCorrectionLevel: "M", margin: 1, width: 220 });

  const doc = new PDFDocument({
    size: "A4",
    margins: { top: 56, bottom: 56, left: 56, right: 56 },
    info: {
      Title: `Certificate of blockchain-anchored evidence ${r.evidence.id}`,
      Subject: `SHA-256 ${r.evidence.sha256}`,
      Creator: "evidence-anchor",
      CreationDate: input.generatedAt ?? new Date(),
    },
  });
  doc.registerFont("regular", FONTS.regular).registerFont("bold", FONTS.bold).registerFont("mono", FONTS.mono);
  const cjk = CJK_FONTS.find((f) => existsSync(f.path));
  if (cjk) doc.registerFont("cjk", cjk.path, cjk.face as string);
  /** Writes text in `font`, switching to the CJK font for the characters `font` lacks. */
  const write = (text: string, font: "regular" | "bold" | "mono", size: number, options: PDFKit.Mixins.TextOptions) => {
    const runs = cjk ? fontRuns(text) : [{ text, fallback: false }];
    runs.forEach((run, i) => {
      doc
        .font(run.fallback ? "cjk" : font)
        .fontSize(size)
        .text(run.text, { ...options, continued: i < runs.length - 1 || options.continued });
    });
  };
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) => doc.on("end", () => resolve(Buffer.concat(chunks))));
  const width = doc.page.width - 112;

  const heading = (text: string) => doc.moveDown(0.6).font("bold").fontSize(12).fillColor("#1b1b1b").text(text).moveDown(0.25);
  const row = (label: string, value: string | number | undefined, mono = false) => {
    if (value === undefined || value === "") return;
    doc.font("bold").fontSize(9).fillColor("#333").text(`${label}: `, { continued: true });
    doc.fillColor("#000");
    write(String(value), mono ? "mono" : "regular", mono ? 8.3 : 9, { width });
  };
  const para = (text: string) => {
    doc.fillColor("#000");
    write(text, "regular", 9, { width, align: "left" });
    doc.moveDown(0.3);
  };
  const code = (text: string) => {
    doc.fillColor("#000");
    write(text, "mono", 8.2, { width });
    doc.moveDown(0.3);
  };

  // The QR code to the verification page sits at the top right, beside the title.
  const qrSize = 78;
  const qrX = doc.page.width - doc.page.margins.right - qrSize;
  doc.image(qr, qrX, doc.page.margins.top - 6, { width: qrSize });
  doc
    .font("regular")
    .fontSize(6.5)
    .fillColor("#444")
    .text("Verify online", qrX, doc.page.margins.top + qrSize - 4, { width: qrSize, align: "center" });
  doc.x = doc.page.margins.left;
  doc.y = doc.page.margins.top;
  doc
    .font("bold")
    .fontSize(18)
    .fillColor("#000")
    .text("Certificate of Blockchain-Anchored Evidence", { width: width - qrSize - 12 });
  doc
    .font("regular")
    .fontSize(9.5)
    .fillColor("#444")
    .text(
      `Evidence ${r.evidence.id} · generated ${(input.generatedAt ?? new Date())
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, " UTC")}`,
      { width: width - qrSize - 12 },
    );
  doc.y = Math.max(doc.y, doc.page.margins.top + qrSize + 10); // below the QR code
  const banner = (text: string, color: string, size = 11) =>
    doc.moveDown(0.4).font("bold").fontSize(size).fillColor(color).text(text, { width });
  if (trustedTimes.length) {
    const [first, ...rest] = trustedTimes;
    banner(`The file described below existed no later than ${utcMs(first!.noLaterThan)}, as proven by ${first!.by}.`, "#0b6b2f");
    doc
      .font("regular")
      .fontSize(8.5)
      .fillColor("#333")
      .text([`(${first!.precision}.)`, ...rest.map((t) => `Also proven: no later than ${utcMs(t.noLaterThan)}, by ${t.by}.`)].join(" "), {
        width,
      });
  }
  if (chain.trust === "development") {
    banner(
      `The chain anchor is on a ${DEVELOPMENT_CHAIN_WARNING}: ${chain.name} is run by the operator of this service, who can rewrite it and its clock. ` +
        (trustedTimes.length ? "The time above rests on the time-stamp alone." : "This certificate proves no time."),
      "#a4161a",
      9.5,
    );
  } else if (chain.trust === "unknown") {
    banner(
      `The chain anchor is on chain ${chain.chainId}, which is not a public chain this service knows: who keeps that chain, and whether its records can be altered, is not established here.` +
        (trustedTimes.length ? " The time above rests on the time-stamp alone." : " This certificate proves no time."),
      "#a4161a",
      9.5,
    );
  }

  heading("1. The evidence");
  row("Kind", m.kind);
  row("File name (as given)", m.fileName);
  row("Media type (read from the bytes)", m.mediaType);
  row("Size", `${m.size.toLocaleString("en-US")} bytes`);
  row("Source URL (claimed by the submitter)", m.sourceUrl);
  row("Capture time (claimed by the submitter)", m.capturedAt);
  row("Received by the service", m.receivedAt);
  row("Case reference", m.caseRef);
  row("Description", m.description);
  row("Belongs to evidence", m.relatedTo);

  heading("2. Fingerprints");
  row("SHA-256 of the file", r.evidence.sha256, true);
  row("IPFS CID (ipfs add --cid-version=1)", r.evidence.cid, true);
  row("SHA-256 of the metadata (RFC 8785)", r.evidence.metadataSha256, true);

  heading("3. Merkle inclusion (OpenZeppelin StandardMerkleTree)");
  row("Leaf [file SHA-256, metadata SHA-256]", r.merkle.leaf.join(", "), true);
  row("Root", r.merkle.root, true);
  row("Proof", r.merkle.proof.length ? "" : "(empty: the batch held this item alone)", false);
  for (const [i, p] of r.merkle.proof.entries()) code(`  ${i + 1}. ${p}`);

  heading("4. Time evidence");
  doc.font("bold").fontSize(10).fillColor("#1b1b1b").text("4.1 Blockchain anchor").moveDown(0.15);
  row("Chain", `${chain.name} (chain id ${r.anchor.chainId})${chain.trust === "development" ? ` — ${DEVELOPMENT_CHAIN_WARNING}` : ""}`);
  row("Registry contract", `${r.anchor.registry} (EvidenceRegistry version ${r.anchor.registryVersion ?? "1"})`);
  row("Transaction", r.anchor.txHash, true);
  row("Block number", r.anchor.blockNumber);
  row("Block hash", r.anchor.blockHash, true);
  row("Block time", `${utc(r.anchor.timestamp)} (Unix ${r.anchor.timestamp})`);
  if (v.anchoredAt) {
    // Only a public chain's anchor proves a time; on another, the same bound is what it would prove.
    row(
      chain.trust === "public" ? "Proves existence no later than" : "Block time bound (not a proof on this chain)",
      `${utcMs(v.anchoredAt.noLaterThan)} (${anchorPrecision(chain)})`,
    );
  }
  const finality = v.checks.find((c) => c.id === "chain.finality");
  if (finality && finality.status !== "skip") row("Depth when this certificate was made", finality.detail);

  doc.moveDown(0.3).font("bold").fontSize(10).fillColor("#1b1b1b").text("4.2 RFC 3161 time-stamps of the Merkle root").moveDown(0.15);
  if (!r.timestamps?.length && !r.timestampsPending?.length)
    para("None: no time-stamp authority was configured when this item was batched.");
  for (const [i, t] of (r.timestamps ?? []).entries()) {
    const check = stamps[i];
    row(`Time-stamp ${i + 1}: authority`, t.tsa);
    row("  genTime (the authority's time)", `${t.genTime}`);
    row("  Serial number", t.serialNumber, true);
    row(
      "  Checked when this certificate was made",
      check?.status === "pass"
        ? `${check.detail.replace(/^[^:]+: /, "")}.`
        : check?.status === "warn"
          ? "the signature holds, but no CA was configured for this authority: it proves no time here."
          : `FAILED: ${check?.detail ?? "not checked"}`,
    );
  }
  if (r.timestampsPending?.length) row("Still pending", `${r.timestampsPending.join(", ")} (the authority had not answered yet)`);

  heading("5. How to verify this independently");
  para(
    "Anyone can check this certificate without trusting the service that issued it. With the file and its receipt (receipt.json, in the evidence bundle):",
  );
  para(`a) The file's fingerprint. The command below must print ${r.evidence.sha256}:`);
  code(`sha256sum ${m.fileName ? JSON.stringify(m.fileName) : "FILE"}`);
  const tsaCas = (r.timestamps ?? []).map((_, i) => ` --tsa-ca tsa-ca-${i + 1}.pem`).join("");
  para(
    `b) Every check at once, against one or more RPC endpoints of the chain${r.timestamps?.length ? " and with the time-stamp authorities' CA certificates (in the evidence bundle; obtain them from the authority to be independent of us)" : ""}: the command prints VERIFIED and the earliest proven time.`,
  );
  code(
    `npx evidence verify receipt.json ${m.fileName ? JSON.stringify(m.fileName) : "FILE"} --rpc <RPC URL of chain ${r.anchor.chainId}>${tsaCas}`,
  );
  para(
    Number(r.anchor.registryVersion ?? "1") >= 2
      ? `c) With a block explorer${chain.explorer ? ` (${chain.explorer}/address/${r.anchor.registry}#readContract)` : ""}: on the registry ${r.anchor.registry}, read anchorOf with the root above. It returns timestamp ${r.anchor.timestamp} (${utc(r.anchor.timestamp)}) and block ${r.anchor.blockNumber}. Then call verifyItem(root, 0x${r.evidence.sha256}, 0x${r.evidence.metadataSha256}, the proof above): it returns the same timestamp.`
      : `c) With a block explorer${chain.explorer ? ` (${chain.explorer}/address/${r.anchor.registry}#readContract)` : ""}: on the registry ${r.anchor.registry}, read anchorOf with the root above. It returns timestamp ${r.anchor.timestamp} (${utc(r.anchor.timestamp)}) and block ${r.anchor.blockNumber}. Then read leafHash(0x${r.evidence.sha256}, 0x${r.evidence.metadataSha256}) and call verify(root, that leaf hash, the proof above): it returns the same timestamp.`,
  );
  if (r.timestamps?.length) {
    para(
      "e) Each time-stamp with OpenSSL alone: root.bin holds the 32 bytes of the Merkle root above, timestamp-N.tsr the authority's token. The command prints Verification: OK:",
    );
    for (const [i] of r.timestamps.entries())
      code(`openssl ts -verify -data root.bin -in timestamp-${i + 1}.tsr -CAfile tsa-ca-${i + 1}.pem`);
  }
  para(
    `${r.timestamps?.length ? "f" : "d"}) Or open ${verifyUrl} (the QR code at the top), choose the receipt and the file: the file is hashed in the browser and not uploaded.`,
  );

  doc.addPage(); // the declaration is signed and filed on its own sheet
  heading("6. Declaration of the operator (template)");
  para(
    "Certification of records generated by an electronic process or system and of data copied from an electronic device, storage medium or file (in the style of US Federal Rules of Evidence 902(13) and 902(14); adapt to the forum: e.g. the Online Litigation Rules of the Supreme People's Court of China, arts. 16-19, or Regulation (EU) No 910/2014 (eIDAS), art. 41).",
  );
  para("I, ______________________________, declare:");
  para(
    `1. I am employed by ______________________________ as ______________________________, and I am a custodian of, or otherwise qualified to describe, the evidence preservation system that produced this certificate.`,
  );
  para(
    `2. On ${m.receivedAt} the system received the file described in section 1. It computed the file's SHA-256 hash value, ${r.evidence.sha256}, as the file arrived, and stored the file unaltered under IPFS identifier ${r.evidence.cid}. A hash value computed by the same algorithm over a true copy of the file is identical; any change to the file changes it.`,
  );
  const recorded = `3. The system combined that hash value and the hash of the file's recorded metadata into a Merkle tree, and recorded its root, ${r.merkle.root}, on ${chain.name} (chain id ${r.anchor.chainId}) in transaction ${r.anchor.txHash}, included in block ${r.anchor.blockNumber}, whose time is ${utc(r.anchor.timestamp)} (block times are whole seconds).`;
  para(
    chain.trust === "public"
      ? `${recorded} The system's operator cannot alter or remove that record: it is part of the history of that public chain, which is kept by parties independent of the operator.`
      : chain.trust === "development"
        ? `${recorded} That chain is a development chain run by the operator: whoever runs it can alter or remove that record, so the record is not offered as proof of the time.`
        : `${recorded} This declaration does not state who keeps that chain or whether its records can be altered.`,
  );
  const stamped = (r.timestamps ?? []).filter((_, i) => stamps[i]?.status === "pass");
  let item = 4;
  if (stamped.length) {
    para(
      `${item++}. The system obtained RFC 3161 time-stamp tokens over that root from ${stamped.map((t) => `${t.tsa} (time ${t.genTime}, serial ${t.serialNumber})`).join(" and ")}. Each token's signature verifies with the authority's certificate, which chains to a certification authority the system is configured to trust for that authority.`,
    );
  }
  para(
    `${item}. The system produces an accurate result: it was operating properly when the file was received and anchored, the records above were made at or near those times by that process in the regular course of its operation, and the results can be reproduced ${chain.trust === "public" ? "by anyone" : "by anyone with access to that chain"} by the steps in section 5.`,
  );
  para("I declare under penalty of perjury under the laws of ______________________________ that the foregoing is true and correct.");
  para("Executed on ____________________ at ______________________________.");
  doc.moveDown(1.2);
  para("Signature: ______________________________          Name and title: ______________________________");

  doc.end();
  return done;
}
