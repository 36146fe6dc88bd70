/**
 * The certificate's page layout over pdfkit: A4, DejaVu Sans (Latin, Greek, Cyrillic) with the
 * characters DejaVu lacks (Chinese, Japanese, Korean) set in a CJK font from the system when one is
 * installed (Debian's fonts-wqy-microhei), headings, label: value rows, paragraphs, code lines, and a
 * footer on every page ("page x of y"), written once the number of pages is known.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const FONT_DIR = join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
const FONTS = {
  regular: join(FONT_DIR, "DejaVuSans.ttf"),
  bold: join(FONT_DIR, "DejaVuSans-Bold.ttf"),
  mono: join(FONT_DIR, "DejaVuSansMono.ttf"),
};

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

export type FontName = "regular" | "bold" | "mono";

export interface Layout {
  readonly doc: PDFKit.PDFDocument;
  /** The width between the margins. */
  readonly width: number;
  /** Writes text in `font`, switching to the CJK font for the characters `font` lacks. */
  write(text: string, font: FontName, size: number, options?: PDFKit.Mixins.TextOptions): void;
  heading(text: string): void;
  subheading(text: string): void;
  /** "label: value", skipped when the value is absent. */
  row(label: string, value: string | number | undefined, mono?: boolean): void;
  para(text: string, options?: { size?: number; color?: string }): void;
  code(text: string): void;
  banner(text: string, color: string, size?: number): void;
  /** Ends the document, with `footer(page, pages)` at the foot of every page. */
  finish(footer: (page: number, pages: number) => string): Promise<Buffer>;
}

export interface DocumentInfo {
  title: string;
  subject: string;
  creationDate: Date;
}

export async function openLayout(info: DocumentInfo): Promise<Layout> {
  // Loaded on first use: pdfkit and its font engine are large, and most processes never render a PDF.
  const { default: PDFDocument } = await import("pdfkit");
  const doc = new PDFDocument({
    size: "A4",
    margins: { top: 56, bottom: 56, left: 56, right: 56 },
    bufferPages: true, // the footer's "page x of y" is written once y is known
    info: { Title: info.title, Subject: info.subject, Creator: "evidence-anchor", CreationDate: info.creationDate },
  });
  doc.registerFont("regular", FONTS.regular).registerFont("bold", FONTS.bold).registerFont("mono", FONTS.mono);
  const cjk = CJK_FONTS.find((f) => existsSync(f.path));
  if (cjk) doc.registerFont("cjk", cjk.path, cjk.face as string);
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) => doc.on("end", () => resolve(Buffer.concat(chunks))));
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;

  const write: Layout["write"] = (text, font, size, options = {}) => {
    const runs = cjk ? fontRuns(text) : [{ text, fallback: false }];
    runs.forEach((run, i) => {
      doc
        .font(run.fallback ? "cjk" : font)
        .fontSize(size)
        .text(run.text, { ...options, continued: i < runs.length - 1 || options.continued });
    });
  };
  const layout: Layout = {
    doc,
    width,
    write,
    heading: (text) => {
      doc.moveDown(0.6).fillColor("#1b1b1b");
      write(text, "bold", 12, { width });
      doc.moveDown(0.25);
    },
    subheading: (text) => {
      doc.moveDown(0.3).fillColor("#1b1b1b");
      write(text, "bold", 10, { width });
      doc.moveDown(0.15);
    },
    row: (label, value, mono = false) => {
      if (value === undefined || value === "") return;
      doc.fillColor("#333");
      write(`${label}: `, "bold", 9, { continued: true });
      doc.fillColor("#000");
      write(String(value), mono ? "mono" : "regular", mono ? 8.3 : 9, { width });
    },
    para: (text, options = {}) => {
      doc.fillColor(options.color ?? "#000");
      write(text, "regular", options.size ?? 9, { width, align: "left" });
      doc.moveDown(0.3);
    },
    code: (text) => {
      doc.fillColor("#000");
      write(text, "mono", 8.2, { width });
      doc.moveDown(0.3);
    },
    banner: (text, color, size = 11) => {
      doc.moveDown(0.4).fillColor(color);
      write(text, "bold", size, { width });
    },
    finish: (footer) => {
      const { start, count } = doc.bufferedPageRange();
      for (let i = start; i < start + count; i++) {
        doc.switchToPage(i);
        const bottom = doc.page.margins.bottom;
        doc.page.margins.bottom = 0; // writing in the margin must not start a new page
        doc
          .font("regular")
          .fontSize(7.5)
          .fillColor("#555")
          .text(footer(i - start + 1, count), doc.page.margins.left, doc.page.height - 36, { width, align: "center", lineBreak: false });
        doc.page.margins.bottom = bottom;
      }
      doc.end();
      return done;
    },
  };
  return layout;
}
