/**
 * The `evidence-anchor` CLI as a lawyer runs it (`node bin/evidence-anchor.js`, what `npx evidence-anchor`
 * runs in the project folder): against receipts from the real service and the real embedded chain, then
 * against tampered copies of them.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { randomBytes, createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { RunningService } from "../../src/main.ts";
import { brokenEndpoints } from "../helpers/broken-endpoints.ts";
import { client, fileForm, startTestService, waitForAnchored } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;
const BIN = fileURLToPath(new URL("../../bin/evidence-anchor.js", import.meta.url));

/** Runs the CLI; `stdin` is piped to it (and standard input is closed either way). */
function cli(
  args: string[],
  env: Record<string, string> = {},
  stdin?: Buffer,
): Promise<{ code: number; out: string; err: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } }, (error, out, err) =>
      resolve({ code: error ? Number(error.code) : 0, out, err, ms: Date.now() - started }),
    );
    child.stdin!.end(stdin);
  });
}

describe("the evidence CLI", function () {
  this.timeout(60_000);
  const dir = tempDir("cli-");
  let service: RunningService;
  let receipt: Json;
  const bytes = randomBytes(400_000); // more than one IPFS chunk
  const file = join(dir.path, "evidence.bin");
  const receiptFile = join(dir.path, "receipt.json");

  const write = (name: string, value: unknown) => {
    const path = join(dir.path, name);
    writeFileSync(path, typeof value === "string" || Buffer.isBuffer(value) ? value : JSON.stringify(value));
    return path;
  };

  before(async () => {
    service = await startTestService(join(dir.path, "data"));
    const api = client(service.url);
    const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: "e.bin" } }))).json()) as Json;
    // a second item so that the batch has a real proof
    await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: randomBytes(10), name: "other.bin" } }));
    await waitForAnchored(api, up.id);
    receipt = (await (await api.get(`/v1/evidence/${up.id}/receipt`)).json()) as Json;
    writeFileSync(file, bytes);
    writeFileSync(receiptFile, JSON.stringify(receipt));
  });
  after(async () => {
    await service.stop();
    dir.remove();
  });

  it("verifies a receipt and its file against the chain: every check on its own line, the time to the millisecond, exit 3 on the development chain", async () => {
    const { code, out } = await cli(["verify", receiptFile, file, "--rpc", service.chain.rpcUrl]);
    expect(code, out).to.equal(3);
    for (const label of [
      "file SHA-256",
      "file size",
      "file CID",
      "metadata hash",
      "Merkle leaf",
      "Merkle proof",
      "chain id",
      "anchor",
      "block",
      "transaction",
      "registry inclusion check",
      "anchor after reception",
    ]) {
      expect(out).to.match(new RegExp(`✓ ${label}\\s`), label);
    }
    // The block's time is whole seconds, by anvil's clock, which runs up to a second behind the machine's.
    const end = new Date(receipt.anchor.timestamp * 1000 + 1999).toISOString();
    expect(out).to.include(
      "! chain identity            local development chain (anvil): development chain — proves nothing to a third party",
    );
    expect(out).to.include(
      `VERIFIED ON A DEVELOPMENT CHAIN ONLY — development chain — proves nothing to a third party: anyone can run chain 31337 with any history and any clock. The anchor says this file existed no later than ${end}`,
    );
    expect(out).to.include(`verifyItem(root, content SHA-256, metadata SHA-256, proof) = ${receipt.anchor.timestamp}`);
    expect(end >= receipt.metadata.receivedAt, `${end} precedes ${receipt.metadata.receivedAt}`).to.equal(true);

    const allowed = await cli(["verify", receiptFile, file, "--rpc", service.chain.rpcUrl, "--allow-development-chain"]);
    expect(allowed.code, allowed.out).to.equal(0);
    expect(allowed.out).to.include("development chain — proves nothing to a third party");
  });

  it("takes the RPC from EVIDENCE_RPC_URL, and answers --json for machines", async () => {
    const { code, out } = await cli(["verify", receiptFile, file, "--json"], { EVIDENCE_RPC_URL: service.chain.rpcUrl });
    expect(code).to.equal(3);
    const result = JSON.parse(out);
    expect(result.verified).to.equal(true);
    expect(result.trust).to.equal("development");
    expect(result.chain).to.deep.equal({ chainId: 31337, name: "local development chain (anvil)", trust: "development" });
    expect(result.chainReachable).to.equal(true);
    expect(result.anchoredAt.timestamp).to.equal(receipt.anchor.timestamp);
    expect(result.times).to.deep.equal([
      {
        source: "anchor",
        by: `block ${receipt.anchor.blockNumber} of local development chain (anvil) (chain id 31337), block time ${result.anchoredAt.iso}`,
        noLaterThan: new Date(receipt.anchor.timestamp * 1000 + 1999).toISOString(),
        precision:
          "block times are whole seconds, and on local development chain (anvil) a block's time may precede its transactions by less than 2 s; its clock is its operator's: anvil's runs up to a second behind the machine it runs on",
        trusted: false,
      },
    ]);
    expect(result.checks.filter((c: Json) => c.status !== "pass").map((c: Json) => [c.id, c.status])).to.deep.equal([
      ["chain.identity", "warn"],
      ["chain.finality", "skip"],
    ]);
  });

  it("checks a receipt without its file, saying the file was not checked", async () => {
    const { code, out } = await cli(["verify", receiptFile, "--rpc", service.chain.rpcUrl, "--allow-development-chain"]);
    expect(code).to.equal(0);
    expect(out).to.match(/– file SHA-256\s+no file given/);
    expect(out).to.include(`The anchor says a file with SHA-256 ${receipt.evidence.sha256} existed no later than`);
  });

  it("fails on a file with one byte changed, naming the file hash check", async () => {
    const altered = Buffer.from(bytes);
    altered[1000]! ^= 0x01;
    const { code, out } = await cli(["verify", receiptFile, write("altered.bin", altered), "--rpc", service.chain.rpcUrl]);
    expect(code).to.equal(1);
    expect(out).to.match(/✗ file SHA-256\s+the file's SHA-256 is [0-9a-f]{64}; the receipt says/);
    expect(out).to.match(/✗ file CID/);
    expect(out).to.include("NOT VERIFIED: file SHA-256, file CID failed.");
  });

  it("fails on one hex digit changed in the receipt's metadata hash", async () => {
    const tampered = structuredClone(receipt);
    const h = tampered.evidence.metadataSha256 as string;
    tampered.evidence.metadataSha256 = (h[0] === "a" ? "b" : "a") + h.slice(1);
    const { code, out } = await cli(["verify", write("t1.json", tampered), file, "--rpc", service.chain.rpcUrl]);
    expect(code).to.equal(1);
    expect(out).to.match(/✗ metadata hash\s+the metadata hashes to [0-9a-f]{64} \(RFC 8785\); the receipt says/);
  });

  it("fails on a changed claim in the metadata (a later capture time, say)", async () => {
    const tampered = structuredClone(receipt);
    tampered.metadata.receivedAt = "2030-01-01T00:00:00.000Z";
    const { code, out } = await cli(["verify", write("t2.json", tampered), file, "--rpc", service.chain.rpcUrl]);
    expect(code).to.equal(1);
    expect(out).to.match(/✗ metadata hash/);
  });

  it("fails on a proof for another root", async () => {
    const tampered = structuredClone(receipt);
    tampered.merkle.root = "0x" + createHash("sha256").update("another batch").digest("hex");
    const { code, out } = await cli(["verify", write("t3.json", tampered), file, "--rpc", service.chain.rpcUrl]);
    expect(code).to.equal(1);
    expect(out).to.match(/✗ Merkle proof\s+the proof does not lead from this leaf to root 0x/);
    expect(out).to.match(/✗ anchor\s+the registry 0x[0-9a-fA-F]{40} has no anchor for root/);
  });

  it("fails on a root that was never anchored, even with a consistent proof", async () => {
    // The leaf's own tree with a leaf nobody ever submitted: its root cannot have been anchored, whether
    // the item had its batch to itself or not.
    const tampered = structuredClone(receipt);
    const stranger = ["0x" + randomBytes(32).toString("hex"), "0x" + randomBytes(32).toString("hex")];
    const tree = StandardMerkleTree.of([tampered.merkle.leaf, stranger], ["bytes32", "bytes32"]);
    tampered.merkle.root = tree.root;
    tampered.merkle.proof = tree.getProof(tampered.merkle.leaf);
    const { code, out } = await cli(["verify", write("t4.json", tampered), file, "--rpc", service.chain.rpcUrl]);
    expect(code).to.equal(1);
    expect(out).to.match(new RegExp(`✓ Merkle proof\\s+1 step to root ${tree.root} `));
    expect(out).to.match(/✗ anchor\s+the registry .* has no anchor for root/);
  });

  it("fails on a receipt for another chain, and on a changed block or transaction", async () => {
    const wrongChain = structuredClone(receipt);
    wrongChain.anchor.chainId = 1;
    let r = await cli(["verify", write("t5.json", wrongChain), file, "--rpc", service.chain.rpcUrl]);
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/✗ chain id\s+the RPC endpoint serves chain 31337; the receipt is for chain 1/);

    const wrongBlock = structuredClone(receipt);
    wrongBlock.anchor.blockHash = "0x" + "ab".repeat(32);
    r = await cli(["verify", write("t6.json", wrongBlock), file, "--rpc", service.chain.rpcUrl]);
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/✗ block\s+block \d+ has hash 0x[0-9a-f]{64}; the receipt says 0xabab/);

    const wrongTx = structuredClone(receipt);
    wrongTx.anchor.txHash = "0x" + "cd".repeat(32);
    r = await cli(["verify", write("t7.json", wrongTx), file, "--rpc", service.chain.rpcUrl]);
    expect(r.code).to.equal(1);
    expect(r.out).to.match(/✗ transaction\s+transaction 0xcdcd.* is not on this chain/);
  });

  describe("when the chain cannot be reached", () => {
    let endpoints: Awaited<ReturnType<typeof brokenEndpoints>>;
    before(async () => {
      endpoints = await brokenEndpoints();
    });
    after(() => endpoints.stop());

    it("says precisely that the RPC endpoint is down, without a stack trace, and exits 4, not 1", async () => {
      const { code, out, err } = await cli(["verify", receiptFile, file, "--rpc", endpoints.closed]);
      expect(code, out + err).to.equal(4);
      expect(out).to.match(
        new RegExp(`✗ chain id\\s+could not reach the RPC endpoint ${endpoints.closed}: connection failed \\(ECONNREFUSED\\)\n`),
      );
      expect(out).to.include(
        "NOT VERIFIED: the chain could not be read, so the anchor is not proven; nothing checked was found wrong. " +
          "Try again, or another RPC endpoint of chain 31337.",
      );
      expect(out + err).not.to.match(/\n\s+at /);
    });

    it("gives up on an endpoint that accepts the connection and never answers, after --timeout", async () => {
      const { code, out, ms } = await cli(["verify", receiptFile, file, "--rpc", endpoints.silent, "--timeout", "1"]);
      expect(code, out).to.equal(4);
      expect(out).to.match(new RegExp(`✗ chain id\\s+could not reach the RPC endpoint ${endpoints.silent}: no answer within 1 s\n`));
      expect(ms).to.be.within(1000, 5000);
    });

    it("gives every later call the same deadline: the anchor read times out after the chain id answered", async () => {
      const { code, out, ms } = await cli(["verify", receiptFile, file, "--rpc", endpoints.chainIdOnly, "--timeout", "1"]);
      expect(code, out).to.equal(4);
      expect(out).to.match(/✓ chain id\s+31337\n/);
      expect(out).to.match(/✗ chain\s+reading the chain failed: no answer within 1 s\n/);
      for (const label of ["chain identity", "registry", "anchor", "block", "transaction", "registry inclusion check", "finality"]) {
        expect(out, label).to.match(new RegExp(`– ${label}\\s+not checked: reading the chain failed\n`));
      }
      expect(ms).to.be.within(1000, 5000);
    });

    it("waits 15 s for an answer by default", async function () {
      this.timeout(40_000);
      const { code, out, ms } = await cli(["verify", receiptFile, "--rpc", endpoints.silent]);
      expect(code, out).to.equal(4);
      expect(out).to.include("no answer within 15 s");
      expect(ms).to.be.within(15_000, 25_000);
    });

    it("takes an answer that is not JSON-RPC (a web page) for an unreachable chain", async () => {
      const { code, out } = await cli(["verify", receiptFile, file, "--rpc", endpoints.garbage]);
      expect(code, out).to.equal(4);
      expect(out).to.include(`could not reach the RPC endpoint ${endpoints.garbage}: the answer is not JSON-RPC (text/html, 30 bytes)`);
    });

    it("tells machines which check the outage cut short (--json: chainReachable false, the check unreachable)", async () => {
      const { code, out } = await cli(["verify", receiptFile, file, "--rpc", endpoints.closed, "--json"]);
      expect(code).to.equal(4);
      const result = JSON.parse(out);
      expect(result.verified).to.equal(false);
      expect(result.chainReachable).to.equal(false);
      expect(result.checks.filter((c: Json) => c.status === "fail")).to.deep.equal([
        {
          id: "chain.id",
          label: "chain id",
          status: "fail",
          unreachable: true,
          detail: `could not reach the RPC endpoint ${endpoints.closed}: connection failed (ECONNREFUSED)`,
        },
      ]);
    });

    it("still exits 1 when a check failed too: tampered evidence wins over an outage", async () => {
      const altered = Buffer.from(bytes);
      altered[0]! ^= 0x01;
      const { code, out } = await cli(["verify", receiptFile, write("altered-offline.bin", altered), "--rpc", endpoints.closed]);
      expect(code, out).to.equal(1);
      expect(out).to.include("NOT VERIFIED: file SHA-256, file CID failed. The chain could not be read.");
    });
  });

  it("fails (1, not 4) on a receipt naming another registry address: the chain answered, with nothing there", async () => {
    const tampered = structuredClone(receipt);
    tampered.anchor.registry = "0x" + "5a".repeat(20);
    const { code, out } = await cli(["verify", write("t8.json", tampered), file, "--rpc", service.chain.rpcUrl, "--json"]);
    expect(code, out).to.equal(1);
    const result = JSON.parse(out);
    expect(result.chainReachable).to.equal(true);
    const failed = result.checks.filter((c: Json) => c.status === "fail");
    expect(failed.map((c: Json) => [c.id, c.unreachable])).to.deep.equal([
      ["chain.registry", undefined],
      ["chain.error", undefined],
    ]);
    expect(failed[0].detail).to.equal(
      `the registry ${tampered.anchor.registry} answers as version 1 (it has no VERSION(): a first registry, or no contract at all); the receipt says version 2`,
    );
    expect(failed[1].detail).to.match(/^reading the chain failed: could not decode result data/);
  });

  it("checks offline only when asked, and then proves no time: exit 5, not 0", async () => {
    const { code, out } = await cli(["verify", receiptFile, file, "--offline"]);
    expect(code).to.equal(5);
    expect(out).to.include("the anchor was not checked on the chain: no time is proven");
  });

  it("answers bad usage and unreadable input with exit 2 and a message", async () => {
    const cases: [string[], RegExp][] = [
      [[], /no command given/],
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["verify"], /verify needs a receipt file/],
      [["verify", receiptFile, file], /give --rpc URL/],
      [["verify", receiptFile, "--rpc", "ftp://x"], /--rpc must be an http\(s\) URL/],
      [["verify", join(dir.path, "missing.json"), "--offline"], /cannot read .*missing\.json: ENOENT/],
      [["verify", write("notjson.json", "{ nope"), "--offline"], /is not JSON/],
      [["verify", write("shape.json", { version: "evidence-receipt/v1" }), "--offline"], /is not an evidence receipt: evidence/],
      [["verify", receiptFile, join(dir.path, "missing.bin"), "--offline"], /cannot read .*missing\.bin: ENOENT/],
      [["verify", receiptFile, "--bogus"], /Unknown option '--bogus'/],
      [
        ["verify", receiptFile, "--rpc", "http://127.0.0.1:1", "--timeout", "0"],
        /--timeout must be a number of seconds, above 0 and at most 3600, not '0'/,
      ],
      [["verify", receiptFile, "--rpc", "http://127.0.0.1:1", "--timeout", "15s"], /--timeout must be .* not '15s'/],
      [["help", "frobnicate"], /unknown command 'frobnicate'/],
      [["verify", "--version"], /Unknown option '--version'/],
    ];
    // Each is its own process: run side by side.
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    for (const [i, [args, message]] of cases.entries()) {
      const { code, err } = results[i]!;
      expect(code, args.join(" ")).to.equal(2);
      expect(err, args.join(" ")).to.match(message);
      expect(err).not.to.match(/\n\s+at /);
    }
  });

  it("runs as `npx evidence-anchor`, from the project folder, as the README says", async () => {
    const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
    const { stdout } = await promisify(execFile)("npx", ["evidence-anchor", "hash", file], { cwd: projectRoot });
    expect(stdout).to.include(`cid     ${receipt.evidence.cid}`);
  });

  it("prints its name and version with --version or -V, exit 0", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as Json;
    const flags = ["--version", "-V"];
    const results = await Promise.all(flags.map((flag) => cli([flag])));
    for (const [i, flag] of flags.entries()) {
      const { code, out, err } = results[i]!;
      expect(code, flag).to.equal(0);
      expect(out, flag).to.equal(`evidence-anchor ${pkg.version}\n`);
      expect(err, flag).to.equal("");
    }
  });

  it("prints a command's help on stdout with --help, -h or `help COMMAND`, exit 0", async () => {
    const verifyHelp = [
      ["verify", "--help"],
      ["verify", "-h"],
      ["help", "verify"],
      ["verify", receiptFile, "--help"],
    ];
    const hashHelp = [
      ["hash", "--help"],
      ["hash", "-h"],
      ["help", "hash"],
    ];
    const results = await Promise.all([...verifyHelp, ...hashHelp].map((args) => cli(args)));
    for (const [i, args] of verifyHelp.entries()) {
      const { code, out, err } = results[i]!;
      expect(code, args.join(" ")).to.equal(0);
      expect(out, args.join(" ")).to.match(
        /^Usage:\n {2}evidence-anchor verify RECEIPT\.json \[FILE\] --rpc URL \[--rpc URL…\] \[--tsa-ca PEM…\] \[--timeout SECONDS\] \[--json\]\n/,
      );
      expect(out).to.include("--timeout SECONDS          how long to wait for each answer of an RPC endpoint (default 15)");
      expect(out).to.include("--tsa-ca PEM               a CA certificate (PEM file) trusted for time-stamping");
      expect(out).to.include("3 every check passed, but the anchor is on a development chain (31337, 1337)");
      expect(out).to.include("4 the chain could not be reached");
      expect(out).to.include("5 every check made passed, but\nno time is proven: with --offline the anchor is not checked");
      expect(err).to.equal("");
    }
    for (const [i, args] of hashHelp.entries()) {
      const { code, out, err } = results[verifyHelp.length + i]!;
      expect(code, args.join(" ")).to.equal(0);
      expect(out, args.join(" ")).to.match(/^Usage:\n {2}evidence-anchor hash FILE \[--json\]\n/);
      expect(err).to.equal("");
    }
  });

  it("reads the file from standard input when it is given as -", async () => {
    const hashed = await cli(["hash", "-"], {}, bytes);
    expect(hashed.code, hashed.err).to.equal(0);
    expect(hashed.out).to.equal(`sha256  ${receipt.evidence.sha256}\nsize    ${bytes.length} bytes\ncid     ${receipt.evidence.cid}\n`);

    const verified = await cli(["verify", receiptFile, "-", "--rpc", service.chain.rpcUrl, "--allow-development-chain"], {}, bytes);
    expect(verified.code, verified.out + verified.err).to.equal(0);
    expect(verified.out).to.match(/✓ file SHA-256\s+[0-9a-f]{64}\n/);
    expect(verified.out).to.include("The anchor says this file existed no later than");

    const altered = Buffer.from(bytes);
    altered[7]! ^= 0x01;
    const tampered = await cli(["verify", receiptFile, "-", "--rpc", service.chain.rpcUrl], {}, altered);
    expect(tampered.code).to.equal(1);
    expect(tampered.out).to.match(/✗ file SHA-256\s+the file's SHA-256 is/);
  });

  it("hashes a file as sha256sum does and gives the CID the service gave", async () => {
    const { code, out } = await cli(["hash", file]);
    expect(code).to.equal(0);
    expect(out).to.include(`sha256  ${createHash("sha256").update(bytes).digest("hex")}`);
    expect(out).to.include(`size    ${bytes.length} bytes`);
    expect(out).to.include(`cid     ${receipt.evidence.cid}`);
  });
});
