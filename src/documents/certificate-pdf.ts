/**
 * The court certificate: a PDF a lawyer can file, stating what the evidence is, its fingerprints, its
 * Merkle inclusion and its anchor, how anyone can check them without us, and a declaration template for
 * the operator (in the style of US FRE 902(13)/(14)). Rendered with pdfkit and DejaVu Sans (Latin,
 * Greek, Cyrillic); characters DejaVu lacks, Chinese, Japanese and Korean in file names and claims, are
 * set in a CJK font from the system when one is installed (Debian's fonts-wqy-microhei).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

import { chainInfo } from "../domain/chains.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";

const require = createRequire(import.meta.url);
const FONT_DIR = join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
const FONTS = {
  regular: join(FONT_DIR, "DejaVuSans.ttf"),
  bold: join(FONT_DIR, "DejaVuSans-Bold.ttf"),
  mono: join(FONT_DIR, "DejaVuSansMono.ttf"),
};

export interface CertificateInput {
  receipt: EvidenceReceipt;
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

export async function renderCertificate(input: CertificateInput): Promise<Buffer> {
  // Loaded on first use: pdfkit and its font engine are large, and most processes never render one.
  const [{ default: PDFDocument }, { default: QRCode }] = await Promise.all([import("pdfkit"), import("qrcode")]);
  const { receipt: r } = input;
  const m = r.metadata;
  const chain = chainInfo(r.anchor.chainId);
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
  doc
    .moveDown(0.4)
    .font("bold")
    .fontSize(11)
    .fillColor("#0b6b2f")
    .text(
      `The file described below existed no later than ${utc(r.anchor.timestamp)}, the time of block ${r.anchor.blockNumber} of ${chain.name}, in which its fingerprint was anchored.`,
      { width },
    );
  if (!chain.public) {
    doc
      .moveDown(0.3)
      .font("bold")
      .fontSize(9.5)
      .fillColor("#a4161a")
      .text("This anchor is on a local development chain that only its operator can read: it does not prove the time to a third party.", {
        width,
      });
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

  heading("4. Blockchain anchor");
  row("Chain", `${chain.name} (chain id ${r.anchor.chainId})`);
  row("Registry contract", r.anchor.registry, true);
  row("Transaction", r.anchor.txHash, true);
  row("Block number", r.anchor.blockNumber);
  row("Block hash", r.anchor.blockHash, true);
  row("Block time", `${utc(r.anchor.timestamp)} (Unix ${r.anchor.timestamp})`);

  heading("5. How to verify this independently");
  para(
    "Anyone can check this certificate without trusting the service that issued it. With the file and its receipt (receipt.json, in the evidence bundle):",
  );
  para(`a) The file's fingerprint. The command below must print ${r.evidence.sha256}:`);
  code(`sha256sum ${m.fileName ? JSON.stringify(m.fileName) : "FILE"}`);
  para("b) Every check at once, against any public RPC endpoint of the chain (the command prints VERIFIED and the time):");
  code(`npx evidence verify receipt.json ${m.fileName ? JSON.stringify(m.fileName) : "FILE"} --rpc <RPC URL of chain ${r.anchor.chainId}>`);
  para(
    `c) With a block explorer${chain.explorer ? ` (${chain.explorer}/address/${r.anchor.registry}#readContract)` : ""}: on the registry ${r.anchor.registry}, read anchorOf with the root above. It returns timestamp ${r.anchor.timestamp} (${utc(r.anchor.timestamp)}) and block ${r.anchor.blockNumber}. Then read leafHash(0x${r.evidence.sha256}, 0x${r.evidence.metadataSha256}) and call verify(root, that leaf hash, the proof above): it returns the same timestamp.`,
  );
  para(
    `d) Or open ${verifyUrl} (the QR code at the top), choose the receipt and the file: the file is hashed in the browser and not uploaded.`,
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
  para(
    `3. The system combined that hash value and the hash of the file's recorded metadata into a Merkle tree, and recorded its root, ${r.merkle.root}, on ${chain.name} (chain id ${r.anchor.chainId}) in transaction ${r.anchor.txHash}, included in block ${r.anchor.blockNumber} at ${utc(r.anchor.timestamp)}. That record cannot be altered or removed by the system's operator or anyone else.`,
  );
  para(
    "4. The system produces an accurate result: it was operating properly when the file was received and anchored, the records above were made at or near those times by that process in the regular course of its operation, and the results can be reproduced by anyone by the steps in section 5.",
  );
  para("I declare under penalty of perjury under the laws of ______________________________ that the foregoing is true and correct.");
  para("Executed on ____________________ at ______________________________.");
  doc.moveDown(1.2);
  para("Signature: ______________________________          Name and title: ______________________________");

  doc.end();
  return done;
}
