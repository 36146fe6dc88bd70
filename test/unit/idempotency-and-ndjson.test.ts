/** The Idempotency-Key's syntax and a request's fingerprint; NDJSON's lines. */
import { expect } from "chai";
import type { Request } from "express";
import { isAppError, Errors } from "../../src/errors.ts";
import { parseIdempotencyKey, requestFingerprint } from "../../src/http/idempotency.ts";
import { ndjsonLines, parseNdjsonLine } from "../../src/http/ndjson.ts";

const request = (fields: Partial<{ method: string; path: string; body: unknown; type: string }> = {}) =>
  ({
    method: fields.method ?? "POST",
    baseUrl: "/v1/evidence",
    path: fields.path ?? "/listing-snapshots",
    body: fields.body ?? { title: "a" },
    get: (name: string) => (name === "content-type" ? (fields.type ?? "application/json") : undefined),
  }) as unknown as Request;

describe("Idempotency-Key", () => {
  it("reads the draft's sf-string form, escapes included, and the bare form alike", () => {
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).to.equal("8e03978e-40d5-43e8-bc93-6894a57f9324");
    expect(parseIdempotencyKey('"a \\"b\\" \\\\ c"')).to.equal('a "b" \\ c');
    expect(parseIdempotencyKey("order-17")).to.equal("order-17");
  });

  it("refuses an empty key, one over 255 characters, and one with characters outside printable ASCII", () => {
    for (const bad of ['""', " ", "x".repeat(256), '"é"', "tab\there"]) {
      let error: unknown;
      try {
        parseIdempotencyKey(bad);
      } catch (e) {
        error = e;
      }
      expect(isAppError(error, Errors.IDEMPOTENCY_KEY_INVALID), JSON.stringify(bad)).to.equal(true);
    }
    expect(parseIdempotencyKey("x".repeat(255))).to.have.length(255);
  });

  it("fingerprints method, path, media type and body, but not a multipart boundary", () => {
    const base = requestFingerprint(request());
    expect(base).to.match(/^[0-9a-f]{64}$/);
    expect(requestFingerprint(request())).to.equal(base);
    expect(requestFingerprint(request({ body: { title: "b" } }))).not.to.equal(base);
    expect(requestFingerprint(request({ path: "/listing-snapshots:batch" }))).not.to.equal(base);
    expect(requestFingerprint(request({ type: "multipart/form-data" }))).not.to.equal(base);
    expect(requestFingerprint(request({ type: "multipart/form-data; boundary=one" }))).to.equal(
      requestFingerprint(request({ type: "multipart/form-data; boundary=two" })),
    );
  });
});

describe("NDJSON lines", () => {
  it("splits on \\n and \\r\\n, a final newline ending the last line, blank lines kept as lines", () => {
    expect(ndjsonLines("")).to.deep.equal([]);
    expect(ndjsonLines('{"a":1}')).to.deep.equal(['{"a":1}']);
    expect(ndjsonLines('{"a":1}\r\n{"b":2}\r\n')).to.deep.equal(['{"a":1}', '{"b":2}']);
    expect(ndjsonLines('{"a":1}\n\n{"b":2}\n')).to.deep.equal(['{"a":1}', "", '{"b":2}']);
  });

  it("parses each line on its own: a malformed one is MALFORMED_JSON with its number", () => {
    expect(parseNdjsonLine('{"a":1}', 3)).to.deep.equal({ line: 3, value: { a: 1 } });
    const bad = parseNdjsonLine("", 2);
    expect(bad.line).to.equal(2);
    expect("error" in bad && bad.error.code).to.equal("MALFORMED_JSON");
  });
});
