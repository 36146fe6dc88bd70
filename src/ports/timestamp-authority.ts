/**
 * An RFC 3161 time-stamp authority, reached over HTTP (RFC 3161 §3.4). It is handed a TimeStampReq and
 * answers a TimeStampResp, both DER (src/domain/timestamp-token.ts builds the one and reads the other).
 * Every request has a deadline, and rejects with AppError TSA_UNAVAILABLE when the authority fails us
 * (down, refused, silent past the deadline, an HTTP error, an answer that is not a time-stamp reply)
 * rather than answers: whether the answer grants a token is for the caller to read.
 */
export interface TimestampAuthority {
  readonly url: string;
  request(requestDer: Uint8Array, options?: { signal?: AbortSignal }): Promise<Uint8Array>;
}
