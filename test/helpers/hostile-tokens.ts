/**
 * Time-stamp tokens an attacker can make with no CA's help, to send to the public POST /v1/verify: small,
 * well-formed and signed, but carrying certificates that make a certificate-path builder work without
 * end. Nothing here chains to a trusted CA; the question is only how much work it takes to find that out.
 */
import type * as pkijs from "pkijs";
import { certificate, generate, signToken, type KeyPair } from "./memory-tsa.ts";

/** A self-made "TSA" certificate issued under `issuerName` by `issuerKeys`, and a token it signs over `data`. */
async function tokenUnder(data: Uint8Array, issuerName: string, issuerKeys: KeyPair, certificates: pkijs.Certificate[]) {
  const keys = await generate();
  const tsa = await certificate({ subject: "Attacker TSA", issuer: { name: issuerName, keys: issuerKeys }, keys, serial: 99, ca: false });
  return signToken({ data, certificates }, { certificate: tsa, keys, other: tsa });
}

/**
 * Two CA certificates that issued each other (X by Y's key, Y by X's key), and the signer issued by X: a
 * path builder that does not remember where it has been goes X → Y → X → … for ever. 1.3 KB.
 */
export async function cyclicIssuersToken(data: Uint8Array): Promise<Uint8Array> {
  const [x, y] = await Promise.all([generate(), generate()]);
  const xCert = await certificate({ subject: "X", issuer: { name: "Y", keys: y }, keys: x, serial: 10, ca: true });
  const yCert = await certificate({ subject: "Y", issuer: { name: "X", keys: x }, keys: y, serial: 11, ca: true });
  return tokenUnder(data, "X", x, [xCert, yCert]);
}

/**
 * No cycle: `layers` layers of `width` CA certificates each, every certificate of a layer issued (under
 * one key per layer) by the next layer's name, so that each one has `width` valid issuers. On top, the
 * attacker's own self-signed root. A path builder that lists every path meets width^layers of them: 8
 * layers of 8 is 16.7 million paths, in 20 KB.
 */
export async function ladderOfIssuersToken(data: Uint8Array, layers = 8, width = 8): Promise<Uint8Array> {
  const keys = await Promise.all(Array.from({ length: layers + 1 }, () => generate()));
  // The attacker's own self-signed root on top: every path ends somewhere, so none is given up early.
  const top = { name: `Layer ${layers}`, keys: keys[layers]! };
  const certificates = [await certificate({ subject: top.name, issuer: top, keys: top.keys, serial: 1_000_000, ca: true })];
  for (let layer = 0; layer < layers; layer++) {
    for (let i = 0; i < width; i++) {
      certificates.push(
        await certificate({
          subject: `Layer ${layer}`,
          issuer: { name: `Layer ${layer + 1}`, keys: keys[layer + 1]! },
          keys: keys[layer]!,
          serial: layer * 1000 + i + 1,
          ca: true,
        }),
      );
    }
  }
  return tokenUnder(data, "Layer 0", keys[0]!, certificates);
}
