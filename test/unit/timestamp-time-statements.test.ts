/**
 * What a token's time proves, read as OpenSSL and RFC 3161 read it: the accuracy it states (never
 * negative, never dropped) and its genTime (UTC with "Z", to its last digit). The tokens come from the
 * in-memory TSA with a trusted CA; a trusted TSA that writes these is misbehaving, and the verifier must
 * not turn that into an earlier time than the token states.
 */
import { expect } from "chai";
import { verifyTimestampToken } from "../../src/domain/timestamp-token.ts";
import { verifyReceipt } from "../../src/use-cases/verify-receipt.ts";
import { memoryTsa } from "../helpers/memory-tsa.ts";
import { receiptWithToken } from "../helpers/stamped-receipt.ts";

const HOUR = 3_600_000;
const stampCheck = (v: Awaited<ReturnType<typeof verifyReceipt>>) => v.checks.find((c) => c.id === "timestamp.1")!;

describe("what a token's accuracy proves", () => {
  it("refuses a token that states a negative accuracy, which moved 'no later than' an hour before its own genTime", async () => {
    const tsa = await memoryTsa();
    const genTime = new Date(Date.now() - HOUR + 123);
    // Received two hours before genTime: the reception check (tolerance: accuracy + 1 s) lets it through.
    const receipt = await receiptWithToken(tsa, new Date(genTime.getTime() - 2 * HOUR), { genTime, accuracy: { seconds: -3600 } });
    const v = await verifyReceipt({ receipt, tsaTrustAnchors: [tsa.caPem] });
    // Found: VERIFIED, "existed no later than" genTime − 1 h: an hour before the TSA saw the root.
    expect(v.times.map((t) => t.noLaterThan)).to.deep.equal([]);
    expect([stampCheck(v).status, v.verified]).to.deep.equal(["fail", false]);
  });

  it("reads an accuracy of 1,000,000,000 s as what it says, not as an exact time (it reads 0 ms)", async () => {
    const tsa = await memoryTsa();
    const genTime = new Date(Date.now() - HOUR + 456);
    const receipt = await receiptWithToken(tsa, new Date(genTime.getTime() - 2000), { genTime, accuracy: { seconds: 1_000_000_000 } });
    const v = await verifyReceipt({ receipt, tsaTrustAnchors: [tsa.caPem] });
    // Found: no later than genTime itself, "with no accuracy stated in the token".
    expect(v.times.map((t) => t.noLaterThan)).to.deep.equal([new Date(genTime.getTime() + 1e12).toISOString()]);
  });
});

describe("what a token's genTime says", () => {
  it("refuses a genTime with a UTC offset (not DER), which it read days or weeks earlier than OpenSSL does", async () => {
    // TSA certificates are valid for years: a misread time still falls inside them.
    const years = { notBefore: new Date(Date.now() - 400 * 24 * HOUR), notAfter: new Date(Date.now() + 400 * 24 * HOUR) };
    const tsa = await memoryTsa({ caValidity: years, ...years });
    const data = new Uint8Array(32);
    const at = new Date(Date.now() - HOUR); // written as local time in UTC+1: at + 1 h, "+0100"
    const text = `${new Date(at.getTime() + HOUR).toISOString().slice(0, 19).replace(/[-:T]/g, "")}+0100`;
    const v = await verifyTimestampToken(await tsa.token({ data, genTimeText: text }), { data, trustAnchors: [tsa.caPem] });
    // Found (on 2026-11-27): ok, genTime 2026-10-31T17:08:29Z for "20261127160829+0100", which OpenSSL
    // prints as Nov 27 15:08:29 2026 GMT: the day of the month is lost.
    expect([v.ok, v.checks.find((c) => c.id === "tsa.parse")!.status]).to.deep.equal([false, "fail"]);
  });

  it("states 'no later than' at or after a genTime with sub-millisecond digits, never 0.9 ms before it", async () => {
    const tsa = await memoryTsa();
    const at = new Date(Date.now() - HOUR);
    const text = `${at.toISOString().slice(0, 19).replace(/[-:T]/g, "")}.0209Z`; // …hh:mm:ss.0209, as OpenSSL prints it
    const receipt = await receiptWithToken(tsa, new Date(at.getTime() - 2000), { genTimeText: text, accuracy: { seconds: 1 } });
    const v = await verifyReceipt({ receipt, tsaTrustAnchors: [tsa.caPem] });
    const second = Math.floor(at.getTime() / 1000) * 1000;
    // Found: genTime truncated to .020, so "no later than" +1 s is .020 where the token says .0209.
    expect(v.times.map((t) => t.noLaterThan)).to.deep.equal([new Date(second + 1000 + 21).toISOString()]);
  });
});
