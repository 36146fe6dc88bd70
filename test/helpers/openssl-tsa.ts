/**
 * A real RFC 3161 time-stamp authority for tests: OpenSSL's own (`openssl ts -reply`) behind a small
 * HTTP server on 127.0.0.1, with its own test PKI made in a temp folder at start: a root CA, a TSA
 * certificate it issued with a critical extendedKeyUsage timeStamping, and, for misbehaviours, a TSA
 * certificate whose validity ended and one issued by another CA. Each misbehaviour is OpenSSL signing
 * something it should not have been asked to (a reply for another imprint or nonce, with a bad
 * certificate), or a reply that is not one.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { join } from "node:path";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { tempDir } from "./temp.ts";

export type TsaMode = "normal" | "other-imprint" | "wrong-nonce" | "expired-cert" | "untrusted" | "rejection" | "garbage";

export interface OpensslTsaOptions {
  /**
   * The hash of the ESS certificate identifier OpenSSL signs: sha256 gives signingCertificateV2 (RFC
   * 5816), sha1 the original signingCertificate.
   * @default "sha256"
   */
  essCertIdAlg?: "sha256" | "sha1";
  /** @default 10000 */
  opensslTimeoutMs?: number;
}

export interface OpensslTsa {
  url: string;
  /** The test root CA that issued the TSA certificate: the trust anchor. */
  caPem: string;
  caFile: string;
  tsaCertPem: string;
  /** The TSA policy every token is issued under. */
  policy: string;
  /** Requests that reached the server. */
  readonly requests: number;
  stop(): Promise<void>;
  /** Stops listening, and cuts open connections: connecting is refused until up(). */
  down(): void;
  up(): void;
  misbehave(mode: TsaMode): void;
}

export const TSA_POLICY = "1.2.3.4.1";
const UNSUPPORTED_POLICY = "1.2.3.4.99";
export const TSA_SUBJECT = "/O=Evidence Anchor Tests/CN=Test TSA";

/** One openssl command, with a deadline. */
export function runOpenssl(args: string[], options: { cwd?: string; timeoutMs?: number } = {}) {
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      "openssl",
      args,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 10_000, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        if (error)
          reject(Object.assign(new Error(`openssl ${args[0]} ${args[1] ?? ""} failed: ${stderr || error.message}`), { stdout, stderr }));
        else resolve({ stdout, stderr });
      },
    );
  });
}

const TSA_EXTENSIONS = `basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/** Makes the test PKI in `dir`. */
async function makePki(dir: string): Promise<void> {
  const openssl = (...args: string[]) => runOpenssl(args, { cwd: dir });
  writeFileSync(
    join(dir, "req.cnf"),
    `[ req ]
distinguished_name = dn
x509_extensions = root_ca
[ dn ]
[ root_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`,
  );
  writeFileSync(join(dir, "tsa-ext.cnf"), TSA_EXTENSIONS);
  const makeRoot = (name: string, subject: string) =>
    openssl(
      "req",
      "-x509",
      "-config",
      "req.cnf",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-days",
      "30",
      "-subj",
      subject,
    );
  const makeRequest = (name: string, subject: string) =>
    openssl(
      "req",
      "-new",
      "-config",
      "req.cnf",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      subject,
    );
  const issue = (name: string, ca: string, serial: string) =>
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.pem`,
      "-CAkey",
      `${ca}.key`,
      "-set_serial",
      serial,
      "-days",
      "30",
      "-extfile",
      "tsa-ext.cnf",
      "-out",
      `${name}.pem`,
    );

  await Promise.all([makeRoot("ca", "/O=Evidence Anchor Tests/CN=Test Root CA"), makeRoot("other-ca", "/O=Someone Else/CN=Other Root CA")]);
  await Promise.all([
    makeRequest("tsa", TSA_SUBJECT),
    makeRequest("expired", "/O=Evidence Anchor Tests/CN=Test TSA (expired)"),
    // The same name as the real TSA, from a CA nobody trusts: trust goes by key and issuer, not by name.
    makeRequest("untrusted", TSA_SUBJECT),
  ]);
  await issue("tsa", "ca", "0x1001");
  await issue("untrusted", "other-ca", "0x2001");
  // `openssl x509 -req` cannot back-date (before OpenSSL 3.4): `openssl ca` can.
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "ca-serial"), "1002\n");
  writeFileSync(
    join(dir, "ca.cnf"),
    `[ ca ]
default_ca = test_ca
[ test_ca ]
database = index.txt
new_certs_dir = .
serial = ca-serial
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
organizationName = optional
commonName = supplied
`,
  );
  await openssl(
    "ca",
    "-batch",
    "-config",
    "ca.cnf",
    "-notext",
    "-in",
    "expired.csr",
    "-out",
    "expired.pem",
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20210101000000Z",
    "-extfile",
    "tsa-ext.cnf",
  );
}

function tsConfig(dir: string, essCertIdAlg: string): string {
  return `[ tsa ]
default_tsa = test_tsa
[ test_tsa ]
serial = ${join(dir, "tsa-serial")}
crypto_device = builtin
signer_digest = sha256
default_policy = ${TSA_POLICY}
digests = sha256
accuracy = secs:1, millisecs:500
clock_precision_digits = 3
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = ${essCertIdAlg}
`;
}

/** The request as the misbehaving TSA reads it: another imprint, another nonce, or a policy it refuses. */
function rewriteQuery(query: Uint8Array, mode: TsaMode): Uint8Array {
  if (mode !== "other-imprint" && mode !== "wrong-nonce" && mode !== "rejection") return query;
  const request = pkijs.TimeStampReq.fromBER(query);
  if (mode === "other-imprint") {
    const other = createHash("sha256").update("not the data that was sent").digest();
    request.messageImprint.hashedMessage = new asn1js.OctetString({ valueHex: other });
  } else if (mode === "wrong-nonce") {
    request.nonce = asn1js.Integer.fromBigInt((request.nonce?.toBigInt() ?? 0n) + 1n);
  } else {
    request.reqPolicy = UNSUPPORTED_POLICY;
  }
  return new Uint8Array(request.toSchema().toBER());
}

export async function startOpensslTsa(options: OpensslTsaOptions = {}): Promise<OpensslTsa> {
  const folder = tempDir("openssl-tsa-");
  const dir = folder.path;
  const opensslTimeoutMs = options.opensslTimeoutMs ?? 10_000;
  try {
    await makePki(dir);
  } catch (error) {
    folder.remove();
    throw error;
  }
  writeFileSync(join(dir, "tsa-serial"), "00\n");
  writeFileSync(join(dir, "ts.cnf"), tsConfig(dir, options.essCertIdAlg ?? "sha256"));
  const signers: Record<string, string> = { "expired-cert": "expired", untrusted: "untrusted" };

  let mode: TsaMode = "normal";
  let requests = 0;
  let exchanges = 0;
  // One openssl at a time: they share the serial file.
  let queue: Promise<unknown> = Promise.resolve();

  async function reply(query: Uint8Array): Promise<Uint8Array> {
    const n = ++exchanges;
    const signer = signers[mode] ?? "tsa";
    writeFileSync(join(dir, `query-${n}.tsq`), rewriteQuery(query, mode));
    const run = queue.then(() =>
      runOpenssl(
        [
          "ts",
          "-reply",
          "-config",
          "ts.cnf",
          "-queryfile",
          `query-${n}.tsq`,
          "-inkey",
          `${signer}.key`,
          "-signer",
          `${signer}.pem`,
          "-out",
          `reply-${n}.tsr`,
        ],
        { cwd: dir, timeoutMs: opensslTimeoutMs },
      ),
    );
    queue = run.catch(() => undefined);
    await run;
    return readFileSync(join(dir, `reply-${n}.tsr`));
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== "POST" || req.headers["content-type"] !== "application/timestamp-query") {
      res.writeHead(415, { "content-type": "text/plain" }).end("POST an application/timestamp-query\n");
      return;
    }
    let body: Uint8Array;
    try {
      body = mode === "garbage" ? Buffer.from("this is not a time-stamp reply\n") : await reply(Buffer.concat(chunks));
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${(error as Error).message}\n`);
      return;
    }
    res.writeHead(200, { "content-type": "application/timestamp-reply", "content-length": body.length }).end(body);
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => res.destroy(error as Error));
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  let listening = true;
  let closed = Promise.resolve();

  const down = () => {
    if (!listening) return;
    listening = false;
    closed = new Promise((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    caPem: readFileSync(join(dir, "ca.pem"), "utf8"),
    caFile: join(dir, "ca.pem"),
    tsaCertPem: readFileSync(join(dir, "tsa.pem"), "utf8"),
    policy: TSA_POLICY,
    get requests() {
      return requests;
    },
    down,
    up() {
      if (listening) return;
      listening = true;
      // Listening on an IP address binds at once: a connection right after up() is accepted.
      server.listen(port, "127.0.0.1");
    },
    misbehave(next) {
      mode = next;
    },
    async stop() {
      down();
      await Promise.all([closed, queue]);
      folder.remove();
    },
  };
}
