/** The case bundle's layout and index for steps not anchored yet: their documents alone, and why. */
import { expect } from "chai";
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { caseBundleZip } from "../../src/documents/case-bundle.ts";
import { unzip } from "../helpers/unzip.ts";

const bytes = async function* (text: string) {
  yield new TextEncoder().encode(text);
};
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function zipped(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("case bundle (documents/case-bundle.ts)", () => {
  const document = '{"seq":1,"type":"notice.filed"}';
  const snapshot = '{"listingId":"L 1/x"}';
  const item = (id: string, text: string) => ({
    evidence: { id, sha256: sha256(text), size: text.length, mediaType: "application/json", status: "pending" },
    unanchored: { content: bytes(text), reason: "not anchored yet (pending): download the bundle again once it is" },
    certificateMissing: "made once the item is anchored",
  });

  it("holds an item not anchored yet as its document alone, and says in both indexes what is missing and why", async () => {
    const zip = await zipped(
      caseBundleZip({
        case: { id: "ntc_1", status: "filed", filedAt: "2026-11-27T10:00:00.000Z" },
        parties: [{ accountId: "acc_r", name: "Brand SA", role: "rights-holder" }],
        steps: [
          {
            seq: 1,
            type: "notice.filed",
            at: "2026-11-27T10:00:00.000Z",
            actor: { accountId: "acc_r", name: "Brand SA", role: "rights-holder" },
            document: item("ev_1", document),
            takedownSnapshots: [{ listingId: "L 1/x", ...item("ev_2", snapshot) }],
            captures: [
              {
                captureId: "cap_1",
                listingId: "L 1/x",
                purpose: "reported",
                status: "capturing",
                missing: "no evidence was recorded: it is still capturing",
              },
            ],
          },
        ],
        timeline: { id: "ntc_1" },
        generatedAt: new Date("2026-11-27T10:01:00.000Z"),
      }),
    );
    const files = await unzip(zip);
    expect([...files.keys()].sort()).to.deep.equal([
      "01-notice.filed/notice.filed.json",
      "01-notice.filed/takedown-snapshot-L-1-x/listing-snapshot.json",
      "INDEX.txt",
      "README.txt",
      "index.json",
      "verify.html",
      "verify.mjs",
    ]);
    expect(files.get("01-notice.filed/notice.filed.json")!.bytes.toString()).to.equal(document);
    const index = JSON.parse(files.get("index.json")!.bytes.toString());
    expect(index.steps[0].document).to.deep.equal({
      evidenceId: "ev_1",
      sha256: sha256(document),
      size: document.length,
      mediaType: "application/json",
      anchor: { status: "pending" },
      folder: "01-notice.filed/",
      file: "01-notice.filed/notice.filed.json",
      files: ["01-notice.filed/notice.filed.json"],
      missing: [
        { file: "01-notice.filed/receipt.json", reason: "not anchored yet (pending): download the bundle again once it is" },
        { file: "01-notice.filed/certificate.pdf", reason: "made once the item is anchored" },
      ],
    });
    expect(index.steps[0].captures).to.deep.equal([
      {
        captureId: "cap_1",
        listingId: "L 1/x",
        purpose: "reported",
        status: "capturing",
        folder: null,
        manifest: null,
        artifacts: [],
        missing: "no evidence was recorded: it is still capturing",
      },
    ]);
    const text = files.get("INDEX.txt")!.bytes.toString();
    expect(text).to.include(
      [
        "  anchor     pending: not anchored yet",
        "  files      01-notice.filed/notice.filed.json",
        "  missing    01-notice.filed/receipt.json: not anchored yet (pending): download the bundle again once it is",
        "  missing    01-notice.filed/certificate.pdf: made once the item is anchored",
        "  Takedown snapshot of listing L 1/x (folder 01-notice.filed/takedown-snapshot-L-1-x/):",
      ].join("\n"),
    );
    expect(text).to.include(
      "  Capture cap_1 of listing L 1/x (reported), capturing:\n    missing    its evidence: no evidence was recorded: it is still capturing\n",
    );
    expect(files.get("README.txt")!.bytes.toString()).to.include("Nothing in this case was anchored when this bundle was made");
  });
});
