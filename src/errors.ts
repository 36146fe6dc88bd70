/**
 * Every error a client or operator can see, as a descriptor with a stable code, an HTTP status and a
 * message template (after Hardhat's hardhat-errors). Code checks `isAppError(e, Errors.X)`, never the
 * message text, so messages can be improved without breaking anyone.
 */

export interface ErrorDescriptor {
  /** Stable, documented in docs/api.md; clients branch on it. */
  readonly code: string;
  readonly status: number;
  /** `{name}` placeholders are filled from the error's params. */
  readonly message: string;
}

function descriptors<T extends Record<string, Omit<ErrorDescriptor, "code">>>(table: T) {
  return Object.freeze(
    Object.fromEntries(Object.entries(table).map(([code, d]) => [code, Object.freeze({ code, ...d })])),
  ) as { readonly [K in keyof T]: ErrorDescriptor & { readonly code: K } };
}

export const Errors = descriptors({
  // Requests
  INVALID_REQUEST: { status: 400, message: "{reason}" },
  MALFORMED_MULTIPART: { status: 400, message: "The multipart body could not be read: {reason}" },
  MALFORMED_JSON: { status: 400, message: "The body is not valid JSON" },
  FILE_REQUIRED: { status: 400, message: "A file is required in the multipart field '{field}'" },
  EMPTY_FILE: { status: 400, message: "The file is empty: there is nothing to preserve" },
  TOO_MANY_FILES: { status: 400, message: "Only one file may be sent in the field '{field}'" },
  UNEXPECTED_FIELD: { status: 400, message: "Unexpected field '{field}'" },
  FILE_TOO_LARGE: { status: 413, message: "The file is larger than the limit of {limit} bytes" },
  BODY_TOO_LARGE: { status: 413, message: "The request body is larger than the limit of {limit} bytes" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "Send {expected}" },
  NOT_FOUND: { status: 404, message: "No route {method} {path}" },
  HEADERS_TOO_LARGE: { status: 431, message: "The request headers are larger than the server accepts" },
  BAD_REQUEST: { status: 400, message: "The HTTP request could not be parsed" },
  // Accounts
  UNAUTHENTICATED: { status: 401, message: "A valid API key is required: send 'Authorization: Bearer <key>'" },
  FORBIDDEN: { status: 403, message: "This API key may not {action}" },
  ACCOUNT_NOT_FOUND: { status: 404, message: "No account {id}" },
  API_KEY_NOT_FOUND: { status: 404, message: "No API key {id} on this account" },
  // Evidence
  EVIDENCE_NOT_FOUND: { status: 404, message: "No evidence {id}" },
  EVIDENCE_NOT_ANCHORED: { status: 409, message: "Evidence {id} is not anchored yet (status: {status})" },
  CONTENT_INTEGRITY: {
    status: 500,
    message: "The stored content of evidence {id} no longer matches its SHA-256: it will not be served",
  },
  // Verification
  RECEIPT_INVALID: { status: 400, message: "Not a readable evidence-receipt/v1: {reason}" },
  RATE_LIMITED: { status: 429, message: "Too many requests: at most {limit} a minute. Try again shortly" },
  // Captures
  CAPTURE_URL_INVALID: { status: 400, message: "This URL cannot be captured: {reason}" },
  CAPTURE_URL_FORBIDDEN: { status: 422, message: "This URL may not be captured: {reason}" },
  CAPTURE_NOT_FOUND: { status: 404, message: "No capture {id}" },
  CAPTURE_UNAVAILABLE: { status: 503, message: "Captures are unavailable: {reason}" },
  // Infrastructure
  CHAIN_UNAVAILABLE: { status: 503, message: "The chain is unavailable: {reason}" },
  STORE_UNAVAILABLE: { status: 503, message: "The content store is unavailable: {reason}" },
  CONFIG_INVALID: { status: 500, message: "Invalid configuration: {reason}" },
  INTERNAL: { status: 500, message: "Internal error" },
});


export class AppError extends Error {
  override readonly name = "AppError";
  readonly descriptor: ErrorDescriptor;
  readonly params: Readonly<Record<string, unknown>>;

  constructor(descriptor: ErrorDescriptor, params: Record<string, unknown> = {}, cause?: unknown) {
    super(
      descriptor.message.replace(/\{(\w+)\}/g, (_, key: string) => String(params[key] ?? `{${key}}`)),
      cause === undefined ? undefined : { cause },
    );
    this.descriptor = descriptor;
    this.params = params;
  }

  get code(): string {
    return this.descriptor.code;
  }

  get status(): number {
    return this.descriptor.status;
  }
}

export function isAppError(error: unknown, descriptor?: ErrorDescriptor): error is AppError {
  return error instanceof AppError && (descriptor === undefined || error.descriptor.code === descriptor.code);
}
