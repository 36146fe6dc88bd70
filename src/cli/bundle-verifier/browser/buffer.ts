// Injected into verify.html's bundle (scripts/build-verifier.ts): the verification code uses Node's Buffer.
export { Buffer } from "buffer";
