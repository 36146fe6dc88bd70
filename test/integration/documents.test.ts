/**
 * The court certificate (PDF) and the evidence bundle (zip), read as their users read them: the PDF's
 * text with pdftotext, the bundle unpacked with unzip and checked with the CLI alone, after the
 * service that made it has stopped, and its time-stamp with OpenSSL alone. The service asks a real
 * TSA (OpenSSL's) for a time-stamp of each batch, and anchors on a development chain: what the
 * documents say must hold for both.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CarReader } from "@ipld/car";
import { Wallet } from "ethers";
import { exporter } from "ipfs-unixfs-exporter";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { ANVIL_DEV_PRIVATE_KEY, startAnvil, type AnvilChain } from "../../src/adapters/chain/anvil.ts";
import { registryArtifact } from "../../src/adapters/chain/artifact.ts";
import { deployRegistry } from "../../src/adapters/chain/deployment.ts";
import { rpcProvider } from "../../src/adapters/chain/provider.ts";
import type { RunningService } from "../../src/main.ts";
import { startOpensslTsa, type OpensslTsa } from "../helpers/openssl-tsa.ts";
import { custodyLines } from "../helpers/bundle-custody.ts";
import { client, fileForm, startTestService, waitForAnchored, waitForTimestamps } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;
const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../../bin/evidence-anchor.js", import.meta.url));
const ANCHOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

describe("certificate and bundle", function () {
  this.timeout(90_000);
  const dir = tempDir("documents-");
  let chain: AnvilChain;
  let tsa: OpensslTsa;
  let service: RunningService | undefined;
  let receipt: Json;
  let id: string;
  const bytes = randomBytes(600_000); // three IPFS chunks: the CAR holds a real DAG
  const claims = {
    kind: "screenshot",
    sourceUrl: "https://marketplace.example/item/8842",
    capturedAt: "2026-11-20T08:30:00Z",
    caseRef: "CASE-77",
    description: "Listing of a counterfeit handbag（仿冒手提包）",
  };

  before(async () => {
    // An external chain, so that it outlives the service: the bundle is checked after the service stops.
    chain = await startAnvil({ stateDir: join(dir.path, "chain"), port: 0 });
    const provider = rpcProvider(chain.rpcUrl);
    const record = await deployRegistry(new Wallet(ANVIL_DEV_PRIVATE_KEY, provider), registryArtifact, {
      network: "docs",
      anchorer: new Wallet(ANCHOR_KEY).address,
    });
    provider.destroy();
    tsa = await startOpensslTsa();
    service = await startTestService(join(dir.path, "data"), {
      CHAIN_RPC_URL: chain.rpcUrl,
      ANCHOR_PRIVATE_KEY: ANCHOR_KEY,
      REGISTRY_ADDRESS: record.address,
      PUBLIC_URL: "https://evidence.example.org",
      TSA_URLS: tsa.url,
      TSA_CA_FILES: tsa.caFile,
    });
    const api = client(service.url);
    const up = (await (
      await api.postForm("/v1/evidence", fileForm(claims, { file: { bytes, name: "Listing 8842 — 商品截图.png" } }))
    ).json()) as Json;
    await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: randomBytes(50), name: "x" } }));
    await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: randomBytes(50), name: "y" } }));
    id = up.id;
    await waitForAnchored(api, id);
    receipt = await waitForTimestamps(api, id, 1);
  });
  after(async () => {
    await service?.stop();
    await chain.stop();
    await tsa?.stop();
    dir.remove();
  });

  it("gives a certificate PDF whose text states the evidence, its fingerprints, proof and anchor, and how to verify", async () => {
    const api = client(service!.url);
    const response = await api.get(`/v1/evidence/${id}/certificate.pdf`);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.equal("application/pdf");
    const pdf = Buffer.from(await response.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).to.equal("%PDF-");
    const path = join(dir.path, "certificate.pdf");
    writeFileSync(path, pdf);
    const { stdout } = await run("pdftotext", ["-raw", path, "-"]);
    const text = stdout.replace(/\s+/g, " ").replace(/-- /g, "--"); // pdftotext breaks lines after a dash
    const time = new Date(receipt.anchor.timestamp * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC");
    const [stamp] = receipt.timestamps;
    // The earliest proven time: the TSA's genTime plus the accuracy OpenSSL's TSA states (1.5 s).
    const proven = new Date(Date.parse(stamp.genTime) + 1500).toISOString().replace("T", " ").replace("Z", " UTC");
    for (const expected of [
      "Certificate of Blockchain-Anchored Evidence",
      `The file described below existed no later than ${proven}, as proven by the RFC 3161 time-stamp of ${tsa.url} (O=Evidence Anchor Tests, CN=Test TSA, serial ${stamp.serialNumber}).`,
      "The chain anchor is on a development chain — proves nothing to a third party",
      "The time above rests on the time-stamp alone.",
      "Listing 8842 — 商品截图.png",
      receipt.evidence.mediaType,
      `${bytes.length.toLocaleString("en-US")} bytes`,
      `Source URL (as stated by the submitter): ${claims.sourceUrl}`,
      `Capture time (as stated by the submitter): ${claims.capturedAt}`,
      `Case reference (as stated by the submitter): ${claims.caseRef}`,
      `Description (as stated by the submitter): ${claims.description}`,
      "Issued by: the operator of this evidence-anchor service (who has not configured its name)",
      "The issuer runs the evidence preservation service that made this certificate. The certificate states what that service received, computed and observed, and how each of those facts can be checked without relying on the issuer. It does not state whether the issuer is connected to any party to a dispute.",
      "Electronic signature: none. The issuing service recorded this document's SHA-256 when it made it, and gives out the same bytes on every download.",
      `Certificate of evidence ${id} · page 1 of 4`,
      `Certificate of evidence ${id} · page 4 of 4`,
      "The file's name, source, capture time and description were stated by the person who submitted it: the system recorded those statements as given and did not verify them.",
      receipt.metadata.receivedAt,
      receipt.evidence.sha256,
      receipt.evidence.cid,
      receipt.evidence.metadataSha256,
      receipt.merkle.root,
      ...receipt.merkle.proof,
      "local development chain (anvil) (chain id 31337) — development chain — proves nothing to a third party",
      `${receipt.anchor.registry} (EvidenceRegistry version 2)`,
      receipt.anchor.txHash,
      `Block number: ${receipt.anchor.blockNumber}`,
      receipt.anchor.blockHash,
      `Block time: ${time}`,
      `Block time bound (not a proof on this chain): ${new Date(receipt.anchor.timestamp * 1000 + 1999).toISOString().replace("T", " ").replace("Z", " UTC")} (block times are whole seconds, and on local development chain (anvil) a block's time may precede its transactions by less than 2 s`,
      `Time-stamp 1: authority: ${tsa.url}`,
      `genTime (the authority's time): ${stamp.genTime}`,
      `Serial number: ${stamp.serialNumber}`,
      "chained to a trusted CA",
      "sha256sum",
      "node verify.mjs --rpc <RPC URL of chain 31337>",
      "Node.js 20 or later and nothing else (no installation)",
      "openssl ts -verify -data root.bin -in timestamp-1.tsr -CAfile tsa-ca-1.pem",
      "anchorOf",
      "verifyItem(root,",
      "https://evidence.example.org/verify",
      "902(13)",
      "That chain is a development chain run by the operator: whoever runs it can alter or remove that record, so the record is not offered as proof of the time.",
      `The system obtained RFC 3161 time-stamp tokens over that root from ${tsa.url} (time ${stamp.genTime}, serial ${stamp.serialNumber})`,
      "can be reproduced by anyone with access to that chain",
      "penalty of perjury",
    ]) {
      expect(text, expected).to.include(expected);
    }
    // The declaration in Chinese, set in the CJK font: pdftotext reads it back (its lines wrap anywhere).
    const squeezed = stdout.replace(/\s+/g, "");
    // The chain of custody as it stood when the certificate was made: every entry before the first
    // certificate or bundle handed out (which made it).
    const custody = (await (await api.get(`/v1/evidence/${id}/custody`)).json()) as Json;
    const entries = custody.entries.filter((l: Json) => l.entry).map((l: Json) => l.entry);
    const download = entries.findIndex((e: Json) => /(certificate\.pdf|bundle)$/.test(e.route) && e.status === 200);
    const [stored, ...reads] = entries.slice(0, download);
    expect([stored.method, stored.route, stored.status]).to.deep.equal(["POST", "/v1/evidence", 201]);
    expect(text).to.include(`When this certificate was made, the log listed ${download} accesses of this item, `);
    // On the development chain, anchoring the log's head protects it from no one who runs that chain.
    expect(text).to.include(
      "the log's head is anchored with every Merkle batch, on the chain of section 4.1; as that chain is a development chain its operator can rewrite, the anchoring does not protect the log against whoever runs it",
    );
    expect(text).not.to.include("cannot be rewritten unnoticed");
    // Compared without white space: the long ids wrap, and pdftotext breaks lines after a dash.
    const at = (e: Json) => e.at.replace("T", "").replace("Z", "UTC");
    const line = (e: Json, what: string) => `${e.seq}.${at(e)}${what}account${e.accountId},key${e.keyId},from${e.client}`;
    expect(squeezed).to.include(line(stored, "POST/v1/evidence->201"));
    for (const e of reads.slice(0, 19)) expect(squeezed).to.include(line(e, `GET${e.route}->${e.status}`));
    for (const expected of [
      "8.运营方声明（模板；第7节的中文文本）",
      "文件名、来源、采集时间及描述均为提交人的陈述：系统按原样记录了这些陈述，未予核实。",
      "该链是由运营方运行的开发链：运行者可以更改或删除该记录，因此该记录不作为时间证明。",
      `系统从${tsa.url}（时间${stamp.genTime}，序列号${stamp.serialNumber}）获得了针对该根的RFC3161时间戳令牌。`,
    ]) {
      expect(squeezed, expected).to.include(expected);
    }
    // Nothing claims more than a development chain proves.
    expect(text).not.to.include("cannot alter or remove");
    expect(text).not.to.include("cannot be altered");
    expect(squeezed).not.to.include("无法更改");
    expect(text).not.to.include("claimed by the submitter");
    const { stdout: images } = await run("pdfimages", ["-list", path]);
    expect(images.split("\n").length, "the QR code image").to.be.greaterThan(3);
  });

  it("answers 409 for the certificate and the bundle of evidence not yet anchored, 404 for another account's", async () => {
    const api = client(service!.url);
    const other = (await (await api.postJson("/v1/accounts", { name: "other" })).json()) as Json;
    const otherApi = client(service!.url, other.apiKey);
    expect((await otherApi.get(`/v1/evidence/${id}/certificate.pdf`)).status).to.equal(404);
    expect((await otherApi.get(`/v1/evidence/${id}/bundle`)).status).to.equal(404);
    const pendingService = await startTestService(join(dir.path, "pending"), { ANCHOR_INTERVAL_MS: "600000" });
    try {
      const p = client(pendingService.url);
      const up = (await (await p.postForm("/v1/evidence", fileForm({}, { file: { bytes: randomBytes(10), name: "p" } }))).json()) as Json;
      for (const path of ["certificate.pdf", "bundle"]) {
        const response = await p.get(`/v1/evidence/${up.id}/${path}`);
        expect(response.status).to.equal(409);
        expect(((await response.json()) as Json).error.code).to.equal("EVIDENCE_NOT_ANCHORED");
      }
    } finally {
      await pendingService.stop();
    }
  });

  it("gives a bundle that, unpacked, verifies with the CLI alone once the service has stopped", async () => {
    const response = await client(service!.url).get(`/v1/evidence/${id}/bundle`);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.equal("application/zip");
    const zipPath = join(dir.path, "bundle.zip");
    writeFileSync(zipPath, Buffer.from(await response.arrayBuffer()));
    const certificate = Buffer.from(await (await client(service!.url).get(`/v1/evidence/${id}/certificate.pdf`)).arrayBuffer());
    await service!.stop();
    service = undefined;

    const out = join(dir.path, "unpacked");
    await run("unzip", ["-q", zipPath, "-d", out]);
    const fileName = "Listing 8842 — 商品截图.png";
    expect(readdirSync(out).sort()).to.deep.equal(
      [
        "README.txt",
        "certificate.pdf",
        "content.car",
        "custody.json",
        fileName,
        "metadata.json",
        "receipt.json",
        "root.bin",
        "timestamp-1.tsr",
        "tsa-ca-1.pem",
        "verify.html",
        "verify.mjs",
      ].sort(),
    );
    expect(readFileSync(join(out, "certificate.pdf")).equals(certificate), "the bundle's certificate is the one served").to.equal(true);
    expect(readFileSync(join(out, "root.bin")).toString("hex")).to.equal(receipt.merkle.root.slice(2));
    expect(readFileSync(join(out, "tsa-ca-1.pem"), "utf8")).to.equal(tsa.caPem);
    expect(readFileSync(join(out, fileName)).equals(bytes)).to.equal(true);
    expect(JSON.parse(readFileSync(join(out, "receipt.json"), "utf8"))).to.deep.equal(receipt);
    expect(
      createHash("sha256")
        .update(readFileSync(join(out, "metadata.json")))
        .digest("hex"),
    ).to.equal(receipt.evidence.metadataSha256);
    expect(readFileSync(join(out, "README.txt"), "utf8"))
      .to.include(`sha256sum "${fileName}"`)
      .and.to.include(receipt.evidence.sha256);

    // The README's own OpenSSL command, as a court's expert types it, in the unpacked folder.
    const readme = readFileSync(join(out, "README.txt"), "utf8");
    const command = "openssl ts -verify -data root.bin -in timestamp-1.tsr -CAfile tsa-ca-1.pem";
    expect(readme).to.include(`        ${command}\n`);
    const openssl = await run("openssl", command.split(" ").slice(1), { cwd: out });
    expect(openssl.stdout).to.equal("Verification: OK\n");
    const tampered = join(dir.path, "root-other.bin");
    writeFileSync(tampered, randomBytes(32));
    const refused = await run("openssl", ["ts", "-verify", "-data", tampered, "-in", "timestamp-1.tsr", "-CAfile", "tsa-ca-1.pem"], {
      cwd: out,
    }).catch((error) => error as { stdout: string; code: number });
    expect(refused.stdout).to.equal("Verification: FAILED\n");

    const args = [
      BIN,
      "verify",
      join(out, "receipt.json"),
      join(out, fileName),
      "--rpc",
      chain.rpcUrl,
      "--tsa-ca",
      join(out, "tsa-ca-1.pem"),
    ];
    const verified = await run(process.execPath, args).catch((error) => error as { stdout: string; code: number });
    const [stamp] = receipt.timestamps;
    const proven = new Date(Date.parse(stamp.genTime) + 1500).toISOString();
    expect((verified as { code?: number }).code, verified.stdout).to.equal(3); // the development chain
    expect(verified.stdout).to.include(
      `VERIFIED: This file existed no later than ${proven} (the RFC 3161 time-stamp of ${tsa.url} (O=Evidence Anchor Tests, CN=Test TSA, serial ${stamp.serialNumber});`,
    );
    expect(verified.stdout).to.include("The anchor is on a development chain — proves nothing to a third party.");
    expect(verified.stdout).to.include(
      `✓ time-stamp 1              ${tsa.url}: genTime ${stamp.genTime} ±1500 ms, serial ${stamp.serialNumber}, signed by O=Evidence Anchor Tests, CN=Test TSA, chained to a trusted CA\n`,
    );
    const allowed = await run(process.execPath, [...args, "--allow-development-chain"]);
    expect(allowed.stdout).to.include(`VERIFIED: This file existed no later than ${proven}`);

    // The bundle's own verifier, as the README says, under the system's Node 20: what the CLI printed, the same exit code.
    const bundled = await run("/usr/bin/node", ["verify.mjs", "--rpc", chain.rpcUrl], { cwd: out }).catch(
      (error) => error as { stdout: string; code: number },
    );
    expect((bundled as { code?: number }).code, bundled.stdout).to.equal(3);
    expect(bundled.stdout).to.equal(
      `${fileName}\n${"=".repeat(fileName.length)}\n${verified.stdout}\n${custodyLines(out, true)}\nThe bundle\n==========\n1 evidence item, exit code 3.\n\n` +
        "The bundle's item passed every check, but the anchor is on a development chain or a chain this verifier does not know, which proves nothing to a third party (each verdict above says what is proven).\n",
    );
    expect(readme).to.include("     node verify.mjs\n").and.to.include("     node verify.mjs --rpc <RPC URL of chain 31337>\n");
  });

  it("packs a CAR whose blocks re-hash to their CIDs and give the file back", async () => {
    const car = await CarReader.fromBytes(readFileSync(join(dir.path, "unpacked", "content.car")));
    expect((await car.getRoots()).map(String)).to.deep.equal([receipt.evidence.cid]);
    const blocks = new Map<string, Uint8Array>();
    for await (const { cid, bytes: block } of car.blocks()) {
      const digest = await sha256.digest(block);
      expect(Buffer.from(digest.digest).equals(Buffer.from(cid.multihash.digest)), `block ${cid}`).to.equal(true);
      blocks.set(cid.toString(), block);
    }
    expect(blocks.size).to.equal(4); // three leaves and their parent
    const blockstore = {
      get: async function* (cid: CID) {
        yield blocks.get(cid.toString())!;
      },
    };
    const entry = (await exporter(CID.parse(receipt.evidence.cid), blockstore as never)) as { content(): AsyncIterable<unknown> };
    const chunks: Uint8Array[] = [];
    for await (const chunk of entry.content()) chunks.push(chunk as Uint8Array);
    expect(Buffer.concat(chunks).equals(bytes)).to.equal(true);
  });
});
