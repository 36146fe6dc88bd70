/**
 * An operator's signing key for certificates, made with OpenSSL as an operator would: a test root CA,
 * a signing certificate it issued (digitalSignature, nonRepudiation), and both with the key in a
 * PKCS#12 file under OpenSSL 3's defaults (AES-256, PBKDF2, a SHA-256 MAC).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const SIGNER_SUBJECT = "/O=Evidence Anchor Tests/CN=Evidence Operator";

export interface SigningKey {
  p12File: string;
  password: string;
  caPem: string;
}

export function makeSigningKey(dir: string, password: string): SigningKey {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe", timeout: 20_000 });
  // biome-ignore format: one openssl command per line
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
    "-subj", "/O=Evidence Anchor Tests/CN=Test Signing CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  // biome-ignore format: one openssl command per line
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "signer.key", "-out", "signer.csr", "-subj", SIGNER_SUBJECT);
  writeFileSync(join(dir, "signer.ext"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n");
  // biome-ignore format: one openssl command per line
  openssl("x509", "-req", "-in", "signer.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "signer.pem",
    "-days", "30", "-extfile", "signer.ext");
  // biome-ignore format: one openssl command per line
  openssl("pkcs12", "-export", "-inkey", "signer.key", "-in", "signer.pem", "-certfile", "ca.pem", "-out", "signer.p12",
    "-passout", `pass:${password}`);
  return { p12File: join(dir, "signer.p12"), password, caPem: readFileSync(join(dir, "ca.pem"), "utf8") };
}
