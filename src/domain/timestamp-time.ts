/**
 * A time-stamp token's time, read from the TSTInfo's own bytes rather than from PKI.js's Date, which
 * reads a GeneralizedTime with a UTC offset wrongly, drops digits below the millisecond and misreads
 * large or negative accuracies. RFC 3161 §2.4.2 and DER leave one form: genTime is
 * YYYYMMDDhhmmss[.fff…]Z (UTC, no trailing zeros in the fraction); accuracy is seconds ≥ 0, millis and
 * micros 1 to 999. Anything else is refused, and the time a token proves is the last instant it allows:
 * genTime plus its accuracy, rounded up to the millisecond, never down.
 */
import * as asn1js from "asn1js";

export interface TokenTime {
  /** genTime, to the millisecond, rounded down. */
  genTime: Date;
  /** genTime with every digit the token gives, ISO 8601. */
  genTimeIso: string;
  /** The accuracy the token states, in microseconds (null: none stated). */
  accuracyMicros: bigint | null;
  /** The last instant the token allows (genTime + accuracy), Unix milliseconds, rounded up. */
  latestMs: number;
}

const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/;

/** The TSTInfo's time fields, or what is wrong with them. */
export function readTokenTime(tstInfoDer: ArrayBuffer | Uint8Array): TokenTime | string {
  const parsed = asn1js.fromBER(tstInfoDer);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return "the TSTInfo is not a DER SEQUENCE";
  const fields = parsed.result.valueBlock.value;
  const genTimeField = fields[4];
  if (!(genTimeField instanceof asn1js.GeneralizedTime)) return "the TSTInfo has no genTime (GeneralizedTime) where RFC 3161 puts it";
  const text = Buffer.from(genTimeField.valueBlock.valueHexView).toString("latin1");
  const match = GENERALIZED_TIME.exec(text);
  if (!match) return `genTime "${text}" is not UTC in the form YYYYMMDDhhmmss[.f]Z that RFC 3161 and DER require`;
  const [, y, mo, d, h, mi, s, fraction = ""] = match;
  const wholeMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(wholeMs);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    return `genTime "${text}" is not a real date and time`;
  }
  // genTime in nanoseconds below the second, as far as the digits go (rounded up past nine digits).
  const digits = fraction.padEnd(9, "0");
  const nanos = BigInt(digits.slice(0, 9)) + (/[1-9]/.test(digits.slice(9)) ? 1n : 0n);
  const iso = `${check.toISOString().slice(0, 19)}${fraction ? `.${fraction}` : ""}Z`;

  let accuracyMicros: bigint | null = null;
  const accuracyField = fields[5];
  if (accuracyField instanceof asn1js.Sequence) {
    const accuracy = readAccuracy(accuracyField);
    if (typeof accuracy === "string") return accuracy;
    accuracyMicros = accuracy;
  }
  const latestNanos = BigInt(wholeMs) * 1_000_000n + nanos + (accuracyMicros ?? 0n) * 1000n;
  const latestMs = Number((latestNanos + 999_999n) / 1_000_000n);
  return { genTime: new Date(wholeMs + Number(nanos / 1_000_000n)), genTimeIso: iso, accuracyMicros, latestMs };
}

/** Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL, micros [1] INTEGER (1..999) OPTIONAL } */
function readAccuracy(sequence: asn1js.Sequence): bigint | string {
  let micros = 0n;
  for (const field of sequence.valueBlock.value) {
    const { tagClass, tagNumber } = field.idBlock;
    const value = integerOf(field);
    if (value === null) return "the accuracy holds a field that is not an integer";
    if (tagClass === 1 && tagNumber === 2) {
      if (value < 0n) return `the accuracy is negative (${value} seconds)`;
      micros += value * 1_000_000n;
    } else if (tagClass === 3 && (tagNumber === 0 || tagNumber === 1)) {
      const name = tagNumber === 0 ? "millis" : "micros";
      if (value < 1n || value > 999n) return `the accuracy's ${name} is ${value}; RFC 3161 allows 1 to 999`;
      micros += tagNumber === 0 ? value * 1000n : value;
    } else {
      return "the accuracy holds an unknown field";
    }
  }
  return micros;
}

/** An INTEGER's value, whether universal or implicitly tagged. */
function integerOf(field: asn1js.AsnType): bigint | null {
  const bytes = (field as { valueBlock: { valueHexView?: Uint8Array } }).valueBlock.valueHexView;
  if (field instanceof asn1js.Integer) return field.toBigInt();
  if (!bytes?.length) return null;
  const value = new asn1js.Integer({ valueHex: bytes });
  return value.toBigInt();
}
