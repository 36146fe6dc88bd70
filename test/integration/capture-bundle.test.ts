/**
 * A capture's one bundle, checked as a lawyer checks it: downloaded, the service stopped, unzipped into
 * an empty folder, then verified there with the bundle's own verify.mjs under the system's Node 20 (not
 * the project's Node 22) and with its verify.html opened from the file system in Chromium, offline and
 * then against the chain (an external anvil that outlives the service); and the same with a byte of
 * the screenshot changed. The verifiers must say what the project's CLI says, and exit as it does.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { keccak256, Wallet } from "ethers";
import type { Browser } from "playwright-core";
import { ANVIL_DEV_PRIVATE_KEY, startAnvil, type AnvilChain } from "../../src/adapters/chain/anvil.ts";
import { registryArtifact } from "../../src/adapters/chain/artifact.ts";
import { deployRegistry } from "../../src/adapters/chain/deployment.ts";
import { rpcProvider } from "../../src/adapters/chain/provider.ts";
import { launchBrowser } from "../helpers/browser.ts";
import { custodyLines } from "../helpers/bundle-custody.ts";
import { startMarketplace, type Marketplace } from "../helpers/fixture-marketplace.ts";
import { startOpensslTsa, type OpensslTsa } from "../helpers/openssl-tsa.ts";
import { client, startTestService, waitForAnchored, waitForCapture, waitForTimestamps, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;
type Run = { code: number; stdout: string; stderr: string };
const run = promisify(execFile);
const CLI = fileURLToPath(new URL("../../bin/evidence-anchor.js", import.meta.url));
/** The lawyer's Node: the system's Node 20, not the project's. */
const SYSTEM_NODE = process.env.SYSTEM_NODE ?? "/usr/bin/node";
const ANCHOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const ROLES = ["har", "html", "mhtml", "screenshot", "video"];
/** The manifest and its artifacts. */
const ITEMS = ROLES.length + 1;

async function exec(file: string, args: string[], cwd?: string, env?: Record<string, string>): Promise<Run> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, maxBuffer: 16 << 20, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((p) => statSync(join(dir, p)).isFile())
    .sort();
}

describe("a capture's bundle, verified where it is unpacked", function () {
  this.timeout(180_000);
  const dir = tempDir("capture-bundle-");
  let chain: AnvilChain;
  let tsa: OpensslTsa;
  let market: Marketplace;
  let service: TestService | undefined;
  let capture: Json;
  const receipts = new Map<string, Json>(); // by role, and "manifest"
  const out = join(dir.path, "unpacked");
  const tampered = join(dir.path, "tampered");
  const custodyTampered = join(dir.path, "custody-tampered");
  let browser: Browser;

  before(async () => {
    // An external chain, so that it outlives the service: the bundle is checked after the service stops.
    chain = await startAnvil({ stateDir: join(dir.path, "chain"), port: 0 });
    const provider = rpcProvider(chain.rpcUrl);
    const record = await deployRegistry(new Wallet(ANVIL_DEV_PRIVATE_KEY, provider), registryArtifact, {
      network: "bundle",
      anchorer: new Wallet(ANCHOR_KEY).address,
    });
    provider.destroy();
    [tsa, market, browser] = await Promise.all([startOpensslTsa(), startMarketplace(), launchBrowser()]);
    service = await startTestService(join(dir.path, "data"), {
      CHAIN_RPC_URL: chain.rpcUrl,
      ANCHOR_PRIVATE_KEY: ANCHOR_KEY,
      REGISTRY_ADDRESS: record.address,
      TSA_URLS: tsa.url,
      TSA_CA_FILES: tsa.caFile,
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
      CAPTURE_TIMEOUT_MS: "8000",
      CAPTURE_WACZ: "false", // the four artifacts below; a bundle with the WACZ: capture-wacz.test.ts
    });
    const api = client(service.url);
    const queued = (await (await api.postJson("/v1/captures", { url: `${market.origin}/go/8842`, caseRef: "CASE-9" })).json()) as Json;
    capture = await waitForCapture(api, queued.id);
    expect(capture.status, capture.failureReason).to.equal("anchored");
    for (const a of capture.artifacts) {
      await waitForAnchored(api, a.evidenceId);
      receipts.set(a.role, await waitForTimestamps(api, a.evidenceId, 1));
    }
    await waitForAnchored(api, capture.manifest.evidenceId);
    receipts.set("manifest", await waitForTimestamps(api, capture.manifest.evidenceId, 1));
  });
  after(async () => {
    await browser?.close();
    await service?.stop();
    await chain?.stop();
    await tsa?.stop();
    await market?.close();
    dir.remove();
  });

  it("is served for the capture and for its manifest as the same files; 404 to another account", async () => {
    const api = client(service!.url);
    const byCapture = await api.get(`/v1/captures/${capture.id}/bundle`);
    expect(byCapture.status).to.equal(200);
    expect(byCapture.headers.get("content-type")).to.equal("application/zip");
    expect(byCapture.headers.get("content-disposition")).to.equal(`attachment; filename="${capture.id}.bundle.zip"`);
    const byManifest = await api.get(`/v1/evidence/${capture.manifest.evidenceId}/bundle`);
    expect(byManifest.status).to.equal(200);
    expect(byManifest.headers.get("content-disposition")).to.equal(`attachment; filename="${capture.id}.bundle.zip"`);
    const [a, b] = [join(dir.path, "a"), join(dir.path, "b")];
    writeFileSync(`${a}.zip`, Buffer.from(await byCapture.arrayBuffer()));
    writeFileSync(`${b}.zip`, Buffer.from(await byManifest.arrayBuffer()));
    await run("unzip", ["-q", `${a}.zip`, "-d", a]);
    await run("unzip", ["-q", `${b}.zip`, "-d", b]);
    expect(tree(a)).to.have.length(4 + ITEMS * 8);
    expect(tree(b)).to.deep.equal(tree(a));
    // The same files, but each item's custody log: the second download's includes the first.
    for (const path of tree(a).filter((p) => !p.endsWith("custody.json")))
      expect(readFileSync(join(b, path)), path).to.deep.equal(readFileSync(join(a, path)));

    // Each download is an export of every item in it, in each item's chain of custody.
    for (const id of [capture.manifest.evidenceId, ...capture.artifacts.map((x: Json) => x.evidenceId)]) {
      const custody = (await (await api.get(`/v1/evidence/${id}/custody`)).json()) as Json;
      const exports = custody.entries
        .filter((l: Json) => l.entry && /bundle$/.test(l.entry.route))
        .map((l: Json) => [l.entry.method, l.entry.route, l.entry.status]);
      expect(exports, id).to.deep.equal([
        ["GET", "/v1/captures/:id/bundle", 200],
        ["GET", "/v1/evidence/:id/bundle", 200],
      ]);
      // custody.json in the first bundle: the log as it stood before that export, starting with the capture's storing.
      const folder =
        id === capture.manifest.evidenceId ? "manifest" : `artifacts/${capture.artifacts.find((x: Json) => x.evidenceId === id).role}`;
      const bundled = JSON.parse(readFileSync(join(a, folder, "custody.json"), "utf8"));
      expect(bundled.evidenceId).to.equal(id);
      const first = bundled.entries.find((l: Json) => l.entry).entry;
      expect([first.route, first.captureId, first.status]).to.deep.equal(["capture", capture.id, 201]);
      const before = custody.entries.filter((l: Json) => l.entry && l.seq < bundled.entries.at(-1).seq + 1).map((l: Json) => l.entry);
      expect(bundled.entries.filter((l: Json) => l.entry).map((l: Json) => l.entry)).to.deep.equal(before);
    }

    const other = (await (await api.postJson("/v1/accounts", { name: "other" })).json()) as Json;
    const refused = await client(service!.url, other.apiKey).get(`/v1/captures/${capture.id}/bundle`);
    expect(refused.status).to.equal(404);
    expect(((await refused.json()) as Json).error.code).to.equal("CAPTURE_NOT_FOUND");
  });

  it("answers 409 while the capture runs (CAPTURE_WITHOUT_EVIDENCE) and until its items are anchored (EVIDENCE_NOT_ANCHORED)", async () => {
    const pending = await startTestService(join(dir.path, "pending"), {
      ANCHOR_INTERVAL_MS: "600000",
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
      CAPTURE_TIMEOUT_MS: "8000",
    });
    try {
      const api = client(pending.url);
      const queued = (await (await api.postJson("/v1/captures", { url: `${market.origin}/item/8842` })).json()) as Json;
      const early = await api.get(`/v1/captures/${queued.id}/bundle`);
      expect(early.status).to.equal(409);
      const problem = ((await early.json()) as Json).error;
      expect(problem.code).to.equal("CAPTURE_WITHOUT_EVIDENCE");
      expect(problem.message).to.match(new RegExp(`^Capture ${queued.id} has no evidence to bundle: it is still (queued|running)$`));
      const done = await waitForCapture(api, queued.id, { until: "captured" });
      expect(done.status).to.equal("captured");
      expect(done.links).not.to.have.property("bundle");
      for (const path of [`/v1/captures/${queued.id}/bundle`, `/v1/evidence/${done.manifest.evidenceId}/bundle`]) {
        const response = await api.get(path);
        expect(response.status, path).to.equal(409);
        expect(((await response.json()) as Json).error.code, path).to.equal("EVIDENCE_NOT_ANCHORED");
      }
    } finally {
      await pending.stop();
    }
  });

  describe("unpacked into an empty folder, with the service stopped", () => {
    before(async () => {
      const zip = join(dir.path, "capture.zip");
      writeFileSync(zip, Buffer.from(await (await client(service!.url).get(`/v1/captures/${capture.id}/bundle`)).arrayBuffer()));
      await service!.stop();
      service = undefined;
      await run("unzip", ["-q", zip, "-d", out]);
      cpSync(out, tampered, { recursive: true });
      cpSync(out, custodyTampered, { recursive: true });
      // Someone edits where an access came from in the manifest's custody log.
      const log = join(custodyTampered, "manifest", "custody.json");
      const custody = JSON.parse(readFileSync(log, "utf8"));
      const edited = custody.entries.find((l: Json) => l.entry?.client);
      edited.entry.client = "203.0.113.9";
      writeFileSync(log, JSON.stringify(custody, null, 2));
      const png = join(tampered, "artifacts", "screenshot", "screenshot.png");
      const bytes = readFileSync(png);
      bytes[100]! ^= 0x01;
      writeFileSync(png, bytes);
    });

    it("holds every artifact and the manifest, each in its folder with its receipt, CAR and time-stamp files", () => {
      const item = (folder: string, file: string) =>
        [file, "receipt.json", "metadata.json", "content.car", "custody.json", "root.bin", "timestamp-1.tsr", "tsa-ca-1.pem"].map(
          (n) => `${folder}/${n}`,
        );
      const files: Record<string, string> = {
        har: "load.har",
        html: "page.html",
        mhtml: "page.mhtml",
        screenshot: "screenshot.png",
        video: "visit.mp4",
      };
      expect(tree(out)).to.deep.equal(
        [
          "README.txt",
          "certificate.pdf",
          "verify.html",
          "verify.mjs",
          ...item("manifest", "capture-manifest.json"),
          ...ROLES.flatMap((role) => item(`artifacts/${role}`, files[role]!)),
        ].sort(),
      );
      for (const role of ROLES) {
        const receipt = JSON.parse(readFileSync(join(out, "artifacts", role, "receipt.json"), "utf8"));
        expect(receipt, role).to.deep.equal(receipts.get(role));
      }
      expect(JSON.parse(readFileSync(join(out, "manifest", "receipt.json"), "utf8"))).to.deep.equal(receipts.get("manifest"));
      expect(readFileSync(join(out, "verify.mjs"))).to.deep.equal(
        readFileSync(new URL("../../src/documents/bundle-verifier/verify.mjs", import.meta.url)),
      );
      expect(readFileSync(join(out, "manifest", "tsa-ca-1.pem"), "utf8")).to.equal(tsa.caPem);
    });

    /** What the project's CLI prints for one item of the unpacked bundle. */
    async function cliSays(folder: string, role: string, extra: string[]): Promise<Run> {
      const file = readdirSync(join(folder, role === "manifest" ? "manifest" : `artifacts/${role}`)).find(
        (n) => /\.(har|html|mhtml|png|mp4|json)$/.test(n) && !["receipt.json", "metadata.json", "custody.json"].includes(n),
      )!;
      const at = (name: string) => join(folder, role === "manifest" ? "manifest" : `artifacts/${role}`, name);
      return exec(process.execPath, [CLI, "verify", at("receipt.json"), at(file), "--tsa-ca", at("tsa-ca-1.pem"), ...extra]);
    }

    it("verifies offline with `node verify.mjs` under Node 20, printing for each item what the CLI prints, exit 0", async () => {
      expect((await exec(SYSTEM_NODE, ["--version"])).stdout).to.match(/^v20\./);
      const result = await exec(SYSTEM_NODE, ["verify.mjs"], out);
      expect(result.stderr).to.equal("");
      expect(result.code, result.stdout).to.equal(0);
      for (const role of ["manifest", ...ROLES]) {
        const cli = await cliSays(out, role, ["--offline"]);
        expect(cli.code, cli.stdout).to.equal(0);
        expect(result.stdout, role).to.include(cli.stdout);
      }
      expect(result.stdout).to.include(
        "The bundle\n==========\n" +
          `✓ capture complete  the ${ITEMS - 1} artifacts the manifest lists are here, each with its receipt: artifacts/screenshot/screenshot.png, artifacts/mhtml/page.mhtml, artifacts/html/page.html, artifacts/har/load.har, artifacts/video/visit.mp4\n` +
          `${ITEMS} evidence items, exit code 0.\n\n` +
          `VERIFIED: all ${ITEMS} items of the bundle passed every check made (see each verdict above).\n`,
      );
      // One receipt, as the CLI takes it: its file named, or found beside it.
      const cli = await cliSays(out, "screenshot", ["--offline"]);
      for (const args of [
        ["artifacts/screenshot/receipt.json"],
        ["artifacts/screenshot/receipt.json", "artifacts/screenshot/screenshot.png"],
      ]) {
        const one = await exec(SYSTEM_NODE, ["verify.mjs", ...args], out);
        expect(one.code, args.join(" ")).to.equal(0);
        expect(one.stdout, args.join(" ")).to.equal(
          `artifacts/screenshot/screenshot.png\n${"=".repeat(35)}\n${cli.stdout}\n` +
            `${custodyLines(join(out, "artifacts/screenshot"), false)}\n` +
            "The bundle\n==========\n1 evidence item, exit code 0.\n\nVERIFIED: the bundle's item passed every check made (see each verdict above).\n",
        );
      }
    });

    it("verifies against the chain with --rpc: what the CLI prints, and exit 3 for the development chain", async () => {
      const result = await exec(SYSTEM_NODE, ["verify.mjs", "--rpc", chain.rpcUrl], out);
      expect(result.code, result.stdout + result.stderr).to.equal(3);
      for (const role of ["manifest", ...ROLES]) {
        const cli = await cliSays(out, role, ["--rpc", chain.rpcUrl]);
        expect(cli.code, cli.stdout).to.equal(3);
        expect(result.stdout, role).to.include(cli.stdout);
      }
      expect(result.stdout).to.include(
        `${ITEMS} evidence items, exit code 3.\n\nAll ${ITEMS} items of the bundle passed every check, but the anchor is on a development chain or a chain this verifier does not know, which proves nothing to a third party (each verdict above says what is proven).\n`,
      );
      const allowed = await exec(SYSTEM_NODE, ["verify.mjs", "--rpc", chain.rpcUrl, "--allow-development-chain"], out);
      expect(allowed.code).to.equal(0);
      // Each custody log's anchored head, confirmed by the registry's anchorOf.
      for (const folder of ["manifest", ...ROLES.map((r) => `artifacts/${r}`)]) {
        expect(JSON.parse(readFileSync(join(out, folder, "custody.json"), "utf8")).heads, folder).to.have.length(1);
        expect(result.stdout, folder).to.include(custodyLines(join(out, folder), true));
      }
    });

    it("fails an edited entry of a custody log, exit 1, naming the entry", async () => {
      const result = await exec(SYSTEM_NODE, ["verify.mjs"], custodyTampered);
      expect(result.code, result.stdout).to.equal(1);
      const custody = JSON.parse(readFileSync(join(custodyTampered, "manifest", "custody.json"), "utf8"));
      const seq = custody.entries.find((l: Json) => l.entry?.client === "203.0.113.9").seq;
      expect(result.stdout).to.include(`  ✗ custody log  entry ${seq}: its content does not hash to its entrySha256\n`);
      expect(result.stdout).to.include("\nNOT VERIFIED: manifest/capture-manifest.json failed the checks above.\n");
    });

    it("fails a changed byte of the screenshot, exit 1, and names it", async () => {
      const result = await exec(SYSTEM_NODE, [join(tampered, "verify.mjs")]);
      expect(result.code, result.stdout).to.equal(1);
      const cli = await cliSays(tampered, "screenshot", ["--offline"]);
      expect(cli.code).to.equal(1);
      expect(result.stdout).to.include(cli.stdout);
      expect(result.stdout).to.match(/✗ file SHA-256\s+the file's SHA-256 is [0-9a-f]{64}; the receipt says [0-9a-f]{64}\n/);
      expect(result.stdout).to.include("\nNOT VERIFIED: artifacts/screenshot/screenshot.png failed the checks above.\n");
    });

    async function openPage(folder: string) {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(join(folder, "verify.html")).href);
      await page.locator("#folder").setInputFiles(folder);
      return { page, requests };
    }

    it("verifies in verify.html opened from the file system: offline, then with the RPC URL pasted; the same as verify.mjs", async () => {
      const { page, requests } = await openPage(out);
      try {
        await page.locator("#result").waitFor();
        const offline = await exec(SYSTEM_NODE, ["verify.mjs"], out);
        expect(await page.locator("#verdict").textContent()).to.equal(
          `VERIFIED: all ${ITEMS} items of the bundle passed every check made (see each verdict above).`,
        );
        expect(await page.locator("#exit-code").textContent()).to.equal(
          "verify.mjs would exit with code 0: verified. The chain was not checked: paste an RPC endpoint above for the chain checks.",
        );
        expect(`${await page.locator("#report").textContent()}\n`).to.equal(offline.stdout);
        expect(
          requests.filter((u) => !u.startsWith("file:")),
          "no network offline",
        ).to.deep.equal([]);

        await page.locator("#rpc").fill(chain.rpcUrl);
        await page.locator("#check-chain").click();
        await page.locator("#exit-code", { hasText: "--rpc" }).waitFor();
        const online = await exec(SYSTEM_NODE, ["verify.mjs", "--rpc", chain.rpcUrl], out);
        expect(await page.locator("#exit-code").textContent()).to.equal(
          `verify.mjs --rpc ${chain.rpcUrl} would exit with code 3: every check passed, but the anchor is on a development chain or an unknown chain.`,
        );
        expect(`${await page.locator("#report").textContent()}\n`).to.equal(online.stdout);
        expect(new Set(requests.filter((u) => !u.startsWith("file:")))).to.deep.equal(new Set([`${chain.rpcUrl}/`]));
      } finally {
        await page.close();
      }
    });

    it("fails the changed screenshot in verify.html too", async () => {
      const { page } = await openPage(tampered);
      try {
        await page.locator("#result").waitFor();
        expect(await page.locator("#verdict").textContent()).to.equal(
          "NOT VERIFIED: artifacts/screenshot/screenshot.png failed the checks above.",
        );
        const row = page.locator('article:has(h3:text-is("artifacts/screenshot/screenshot.png")) tr[data-check="file.sha256"] td');
        expect(await row.allTextContents()).to.deep.equal([
          "fail",
          `the file's SHA-256 is ${(await exec("sha256sum", [join(tampered, "artifacts/screenshot/screenshot.png")])).stdout.slice(0, 64)}; the receipt says ${receipts.get("screenshot")!.evidence.sha256}`,
        ]);
        const offline = await exec(SYSTEM_NODE, ["verify.mjs"], tampered);
        expect(`${await page.locator("#report").textContent()}\n`).to.equal(offline.stdout);
      } finally {
        await page.close();
      }
    });

    it("README.txt can be followed to the end: its hashes, leaves, proof walks, OpenSSL and curl commands give what it says", async () => {
      const readme = readFileSync(join(out, "README.txt"), "utf8");
      expect(readme).to.match(new RegExp(`^CAPTURE BUNDLE ${capture.id}\n`));
      const sections = readme.split(new RegExp(`\n(?=Item \\d of ${ITEMS}: |3\\. The chain)`));
      const items = sections.filter((s) => s.startsWith("Item "));
      expect(items.map((s) => s.split(" (")[0])).to.deep.equal([
        "Item 1 of 6: manifest/capture-manifest.json",
        "Item 2 of 6: artifacts/screenshot/screenshot.png",
        "Item 3 of 6: artifacts/mhtml/page.mhtml",
        "Item 4 of 6: artifacts/html/page.html",
        "Item 5 of 6: artifacts/har/load.har",
        "Item 6 of 6: artifacts/video/visit.mp4",
      ]);
      const rpcCalls: string[] = [];
      for (const section of items) {
        const folder = join(out, /In the folder (\S+):/.exec(section)![1]!);
        const receipt = JSON.parse(readFileSync(join(folder, "receipt.json"), "utf8"));
        // a, b: the fingerprints, with sha256sum
        for (const [, file, expected] of section.matchAll(/sha256sum "?([^"\n]+?)"?\n\s+must print ([0-9a-f]{64})/g)) {
          expect((await run("sha256sum", [file!], { cwd: folder })).stdout.slice(0, 64), file).to.equal(expected);
        }
        expect([...section.matchAll(/sha256sum/g)]).to.have.length(2);
        // c: the leaf, d: the proof walk, each step's hash recomputed
        const [, inner, leaf] = /cast keccak \$\(cast keccak (0x[0-9a-f]{128})\)\n\s+must print (0x[0-9a-f]{64})/.exec(section)!;
        expect(keccak256(keccak256(inner!))).to.equal(leaf);
        let node = leaf!;
        for (const [, joined, parent] of section.matchAll(/step \d+: cast keccak (0x[0-9a-f]{128})\n\s+= (0x[0-9a-f]{64})/g)) {
          expect(joined!.includes(node.slice(2)), "each step joins the previous result").to.equal(true);
          expect(keccak256(joined!)).to.equal(parent);
          node = parent!;
        }
        expect(section).to.include(`The last result must be the Merkle root ${node}.`);
        expect(node).to.equal(receipt.merkle.root);
        // e: the registry's check of this item, called with curl as step 3 shows
        const calldata = /calldata (0x[0-9a-f]+)/.exec(section)![1]!;
        rpcCalls.push(calldata);
        // f: the time-stamp, with OpenSSL
        const openssl = /^\s+(openssl ts -verify .+)$/m.exec(section)![1]!;
        expect((await run("sh", ["-c", openssl], { cwd: folder })).stdout).to.equal("Verification: OK\n");
      }
      // 3: every curl command, against the chain, gives what the line after it says
      const chainSection = sections.find((s) => s.startsWith("3. The chain"))!;
      const curls = [...chainSection.matchAll(/or: (curl .+)\n\s+(".+)/g)];
      expect(curls.map(([, command]) => JSON.parse(/--data '(.+?)'/.exec(command!)![1]!).method)).to.deep.equal([
        "eth_chainId",
        "eth_call",
        "eth_call",
        "eth_call",
        "eth_getBlockByNumber",
        "eth_getTransactionReceipt",
      ]);
      const answer = async (command: string) => {
        const { stdout } = await run("sh", ["-c", command.replaceAll("<RPC URL of chain 31337>", chain.rpcUrl)]);
        return JSON.parse(stdout).result;
      };
      for (const [, command, expectation] of curls) {
        const commands = command!.includes("<the calldata of step e>")
          ? rpcCalls.map((data) => command!.replace("<the calldata of step e>", data))
          : [command!];
        for (const c of commands) {
          const result = await answer(c);
          const [, field, verb, value] = /^"(\w+)" must (be|start) (0x[0-9a-f]+)/.exec(expectation!)!;
          const got = field === "result" ? result : result[field!];
          if (verb === "start") expect(got.startsWith(value), `${c}\n${got}`).to.equal(true);
          else expect(got, c).to.equal(value);
        }
      }
      const manifest = receipts.get("manifest")!;
      expect(chainSection).to.include(
        `"hash" must be ${manifest.anchor.blockHash}, "timestamp" 0x${manifest.anchor.timestamp.toString(16)}`,
      );
      expect(chainSection).to.include(`"status" must be 0x1, "blockHash" ${manifest.anchor.blockHash}, "to" the registry`);
      expect(readme).to.include("     leaf = keccak256(bytes.concat(keccak256(abi.encode(sha256, metadataSha256))))\n");
      expect(readme).to.include(
        "     function verifyItem(bytes32 root, bytes32 contentSha256, bytes32 metadataSha256, bytes32[] proof) view returns (uint64 timestamp)\n       selector 0x243431a0",
      );
      expect(readme).to.include(
        "     function anchorOf(bytes32 root) view returns (uint64 timestamp, uint64 blockNumber, address submitter)\n       selector 0xcf4ff901",
      );
      expect(readme).to.include("     node verify.mjs --rpc <RPC URL of chain 31337>\n");
      expect(readme).to.include("This bundle's anchor IS on a development chain (local development chain (anvil), chain id 31337)");
      expect(readme).to.include(
        "on a public chain, the log up to an anchored head could not be rewritten unnoticed; chain\n   31337 is a development chain, and whoever runs it could rewrite the log and its anchors together.",
      );
    });
  });
});
