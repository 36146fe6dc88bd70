/**
 * The pieces of the evidence bundle's verifiers that need no chain and no disk: how a bundle's files
 * are found (domain/bundle-layout.ts), the proof walk README.txt prints, the exit code of several items,
 * and the browser's stand-ins for node:crypto, checked against Node's own.
 */
import { expect } from "chai";
import { createHash, webcrypto, X509Certificate } from "node:crypto";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import * as shim from "../../src/cli/bundle-verifier/browser/node-crypto.ts";
import { EXIT, worstExitCode } from "../../src/cli/report.ts";
import { findBundleItems, isReservedName, safeFileName } from "../../src/domain/bundle-layout.ts";
import { leafHashOf, proofWalk } from "../../src/domain/merkle-batch.ts";
import { cryptoEngine } from "../../src/domain/timestamp-signer.ts";

const sha = (text: string) => `0x${createHash("sha256").update(text).digest("hex")}`;

describe("the bundle's layout", () => {
  it("finds one item per folder with a receipt.json: its file, and its tsa-ca-N.pem in N order", () => {
    const paths = [
      "README.txt",
      "verify.mjs",
      "verify.html",
      "certificate.pdf",
      "manifest/capture-manifest.json",
      "manifest/receipt.json",
      "manifest/metadata.json",
      "manifest/content.car",
      "manifest/root.bin",
      "manifest/timestamp-1.tsr",
      "manifest/tsa-ca-10.pem",
      "manifest/tsa-ca-2.pem",
      "artifacts/html/page.html",
      "artifacts/html/receipt.json",
      "artifacts/empty/receipt.json",
      "artifacts/two/a.png",
      "artifacts/two/b.png",
      "artifacts/two/receipt.json",
      "notes/readme.md",
    ];
    expect(findBundleItems(paths)).to.deep.equal([
      { folder: "artifacts/empty", receipt: "artifacts/empty/receipt.json", tsaCas: [], problem: "the evidence file is missing" },
      { folder: "artifacts/html", receipt: "artifacts/html/receipt.json", tsaCas: [], file: "artifacts/html/page.html" },
      {
        folder: "artifacts/two",
        receipt: "artifacts/two/receipt.json",
        tsaCas: [],
        problem: "several files could be the evidence: a.png, b.png",
      },
      {
        folder: "manifest",
        receipt: "manifest/receipt.json",
        tsaCas: ["manifest/tsa-ca-2.pem", "manifest/tsa-ca-10.pem"],
        file: "manifest/capture-manifest.json",
      },
    ]);
    expect(findBundleItems(["x.png", "receipt.json", "tsa-ca-1.pem", "README.txt", "verify.mjs"])).to.deep.equal([
      { folder: "", receipt: "receipt.json", tsaCas: ["tsa-ca-1.pem"], file: "x.png" },
    ]);
  });

  it("keeps the bundle's own names for its own files, in any case", () => {
    for (const name of ["receipt.json", "README.TXT", "Verify.mjs", "verify.html", "timestamp-3.tsr", "tsa-ca-12.pem", "root.bin"]) {
      expect(isReservedName(name), name).to.equal(true);
    }
    for (const name of ["receipt.json.png", "timestamp-a.tsr", "page.html"]) expect(isReservedName(name), name).to.equal(false);
  });

  it("makes names safe on every system, and falls back when nothing is left", () => {
    expect(safeFileName("Listing 8842 — 商品截图.png", "x")).to.equal("Listing 8842 — 商品截图.png");
    expect(safeFileName('../a\\b:c*?"<>|\u0007.png', "x")).to.equal("_a_b_c_______.png");
    expect(safeFileName(" ..hidden. ", "x")).to.equal("hidden");
    expect(safeFileName("...", "ev_1.bin")).to.equal("ev_1.bin");
    expect(safeFileName(undefined, "ev_1.bin")).to.equal("ev_1.bin");
    expect(safeFileName("a".repeat(300), "x")).to.have.length(200);
  });
});

describe("the proof walk README.txt prints", () => {
  it("leads from every item's leaf hash to the tree's root, one sorted pair at a time", () => {
    const items = [0, 1, 2, 3, 4].map((i) => [sha(`file ${i}`), sha(`metadata ${i}`)] as [string, string]);
    const tree = StandardMerkleTree.of(items, ["bytes32", "bytes32"]);
    for (const [i, leaf] of tree.entries()) {
      expect(leafHashOf(leaf)).to.equal(tree.leafHash(leaf));
      const steps = proofWalk(leafHashOf(leaf), tree.getProof(i));
      expect(steps.map((s) => s.sibling)).to.deep.equal(tree.getProof(i));
      expect(steps.at(-1)!.parent).to.equal(tree.root);
      for (const [n, step] of steps.entries()) expect(step.node).to.equal(n === 0 ? tree.leafHash(leaf) : steps[n - 1]!.parent);
    }
    expect(proofWalk(sha("alone"), [])).to.deep.equal([]);
  });
});

describe("the exit code of a bundle's items", () => {
  it("is the most serious one: a failed check, then unreadable input, then an unreachable chain, then an untrusted chain, then no time proven", () => {
    expect(worstExitCode([EXIT.ok, EXIT.untrustedChain, EXIT.unreachable, EXIT.usage, EXIT.failed])).to.equal(EXIT.failed);
    expect(worstExitCode([EXIT.untrustedChain, EXIT.unreachable, EXIT.usage])).to.equal(EXIT.usage);
    expect(worstExitCode([EXIT.untrustedChain, EXIT.unreachable])).to.equal(EXIT.unreachable);
    expect(worstExitCode([EXIT.ok, EXIT.noTimeProven, EXIT.untrustedChain])).to.equal(EXIT.untrustedChain);
    expect(worstExitCode([EXIT.ok, EXIT.noTimeProven])).to.equal(EXIT.noTimeProven);
    expect(worstExitCode([EXIT.ok, EXIT.ok])).to.equal(EXIT.ok);
  });
});

describe("verify.html's node:crypto", () => {
  it("hashes as Node does, in pieces, to hex or bytes", () => {
    for (const algorithm of ["sha256", "sha1"]) {
      const ours = shim
        .createHash(algorithm)
        .update("evidence ")
        .update(new Uint8Array([0xe2, 0x9c, 0x93]));
      const node = createHash(algorithm)
        .update("evidence ")
        .update(new Uint8Array([0xe2, 0x9c, 0x93]));
      expect(ours.digest("hex")).to.equal(node.digest("hex"));
      expect(Buffer.from(shim.createHash(algorithm).update("x").digest() as Buffer)).to.deep.equal(
        createHash(algorithm).update("x").digest(),
      );
    }
    expect(() => shim.createHash("md5")).to.throw("Digest method not supported: md5");
  });

  it("names a certificate's subject and issuer as Node's X509Certificate does, escapes and all", async () => {
    const keys = (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])) as {
      publicKey: any;
      privateKey: any;
    };
    // Read back, as PKI.js keeps a name it decoded byte for byte.
    const decoded = (value: asn1js.Sequence) => asn1js.fromBER(value.toBER()).result;
    // A Name as certificates carry it: a sequence of RDNs, each a set of attributes (usually one).
    const rdn = (rdns: [string, string][][]) =>
      new pkijs.RelativeDistinguishedNames({
        schema: decoded(
          new asn1js.Sequence({
            value: rdns.map(
              (set) =>
                new asn1js.Set({
                  value: set.map(
                    ([type, value]) =>
                      new asn1js.Sequence({
                        value: [
                          new asn1js.ObjectIdentifier({ value: type }),
                          type === "2.5.4.6" ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value }),
                        ],
                      }),
                  ),
                }),
            ),
          }),
        ),
      });
    const certificate = new pkijs.Certificate();
    certificate.version = 2;
    certificate.serialNumber = new asn1js.Integer({ value: 7 });
    certificate.subject = rdn([
      [["2.5.4.6", "CN"]],
      [["2.5.4.10", 'Evidence, Anchor + "Tests" <TSA>; #1']],
      [["2.5.4.11", " 时间戳 "]],
      [["1.2.840.113549.1.9.1", "tsa@example.org"]],
      [["2.5.4.3", "Test TSA\\1"]],
    ]);
    // A multi-valued RDN, an attribute OpenSSL has no name for, a leading "#".
    certificate.issuer = rdn([
      [["2.5.4.3", "Root CA"]],
      [
        ["2.5.4.5", "0042"],
        ["1.3.6.1.4.1.99999.1", "other"],
      ],
      [["2.5.4.3", "#Root"]],
    ]);
    certificate.notBefore.value = new Date("2026-01-01T00:00:00Z");
    certificate.notAfter.value = new Date("2027-01-01T00:00:00Z");
    await certificate.subjectPublicKeyInfo.importKey(keys.publicKey, cryptoEngine);
    await certificate.sign(keys.privateKey, "SHA-256", cryptoEngine);
    const der = new Uint8Array(certificate.toSchema().toBER());
    const node = new X509Certificate(der);
    const ours = new shim.X509Certificate(der);
    expect(ours.subject).to.equal(node.subject);
    expect(ours.issuer).to.equal(node.issuer);
  });
});
