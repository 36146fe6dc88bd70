/**
 * Every error a client or operator can see, as a descriptor with a stable code, a title and a message
 * template (after Hardhat's hardhat-errors). Code checks `isAppError(e, Errors.X)`, never the message
 * text, so messages can be improved without breaking anyone. Errors know nothing of HTTP: the HTTP layer
 * maps codes to statuses (src/http/problem.ts).
 */

export interface ErrorDescriptor {
  /** Stable, documented in docs/api.md; clients branch on it. */
  readonly code: string;
  /** A short, fixed summary of the kind of problem (RFC 9457 `title`). */
  readonly title: string;
  /** `{name}` placeholders are filled from the error's params. */
  readonly message: string;
}

function descriptors<T extends Record<string, Omit<ErrorDescriptor, "code">>>(table: T) {
  return Object.freeze(Object.fromEntries(Object.entries(table).map(([code, d]) => [code, Object.freeze({ code, ...d })]))) as {
    readonly [K in keyof T]: ErrorDescriptor & { readonly code: K };
  };
}

export const Errors = descriptors({
  // Notice and takedown
  NOTICE_INCOMPLETE: { title: "Notice incomplete", message: "The {document} lacks what the law asks of it: {elements}" },
  NOTICE_NOT_FOUND: { title: "Notice not found", message: "No notice {id}" },
  NOTICE_STATE_CONFLICT: { title: "Step not possible now", message: "The case {id} is {status}: {step} is not possible now" },
  NOTICE_REFERENCE_UNKNOWN: { title: "Unknown reference", message: "{reason}" },
  // Requests
  INVALID_REQUEST: { title: "Invalid request", message: "{reason}" },
  MALFORMED_MULTIPART: { title: "Malformed multipart body", message: "The multipart body could not be read: {reason}" },
  MALFORMED_JSON: { title: "Malformed JSON body", message: "The body is not valid JSON" },
  FILE_REQUIRED: { title: "File required", message: "A file is required in the multipart field '{field}'" },
  EMPTY_FILE: { title: "Empty file", message: "The file is empty: there is nothing to preserve" },
  TOO_MANY_FILES: { title: "Too many files", message: "Only one file may be sent in the field '{field}'" },
  UNEXPECTED_FIELD: { title: "Unexpected field", message: "Unexpected field '{field}'" },
  FILE_TOO_LARGE: { title: "File too large", message: "The file is larger than the limit of {limit} bytes" },
  BODY_TOO_LARGE: { title: "Body too large", message: "The request body is larger than the limit of {limit} bytes" },
  BATCH_TOO_LARGE: { title: "Batch too large", message: "The batch has more than the limit of {limit} lines: nothing was stored" },
  IDEMPOTENCY_KEY_INVALID: { title: "Invalid Idempotency-Key", message: "The Idempotency-Key header {reason}" },
  IDEMPOTENCY_KEY_REUSED: {
    title: "Idempotency-Key reused",
    message: "The Idempotency-Key '{key}' was first used for a different request: send a new key for a new request",
  },
  IDEMPOTENCY_KEY_IN_USE: {
    title: "Idempotency-Key in use",
    message: "A request with the Idempotency-Key '{key}' is still being processed: retry once it has answered",
  },
  UNSUPPORTED_MEDIA_TYPE: { title: "Unsupported media type", message: "Send {expected}" },
  NOT_FOUND: { title: "No such route", message: "No route {method} {path}" },
  HEADERS_TOO_LARGE: { title: "Headers too large", message: "The request headers are larger than the server accepts" },
  BAD_REQUEST: { title: "Unreadable request", message: "The HTTP request could not be parsed" },
  // Accounts
  UNAUTHENTICATED: { title: "Unauthenticated", message: "A valid API key is required: send 'Authorization: Bearer <key>'" },
  FORBIDDEN: { title: "Forbidden", message: "This API key may not {action}" },
  ACCOUNT_NOT_FOUND: { title: "Account not found", message: "No account {id}" },
  API_KEY_NOT_FOUND: { title: "API key not found", message: "No API key {id} on this account" },
  // Evidence
  EVIDENCE_NOT_FOUND: { title: "Evidence not found", message: "No evidence {id}" },
  EVIDENCE_NOT_ANCHORED: { title: "Evidence not anchored yet", message: "Evidence {id} is not anchored yet (status: {status})" },
  CONTENT_INTEGRITY: {
    title: "Stored content altered",
    message: "The stored content of evidence {id} no longer matches its SHA-256: it will not be served",
  },
  RECORD_INTEGRITY: {
    title: "Stored record altered",
    message: "The stored record of evidence {id} does not check out ({reason}): it will not be served",
  },
  CUSTODY_INTEGRITY: {
    title: "Custody log altered",
    message: "The custody log does not check out ({reason}): it will not be served",
  },
  // Certificates
  CERTIFICATE_NOT_READY: { title: "Certificate not ready", message: "The certificate of evidence {id} is not made yet: {reason}" },
  CERTIFICATE_INTEGRITY: {
    title: "Stored certificate altered",
    message:
      "The stored certificate of evidence {id} no longer matches the SHA-256 recorded when it was made ({reason}): it will not be served",
  },
  // Verification
  RECEIPT_INVALID: { title: "Invalid receipt", message: "Not a readable evidence receipt: {reason}" },
  RATE_LIMITED: { title: "Too many requests", message: "Too many requests: at most {limit} a minute. Try again shortly" },
  // Captures
  CAPTURE_URL_INVALID: { title: "URL cannot be captured", message: "This URL cannot be captured: {reason}" },
  CAPTURE_URL_FORBIDDEN: { title: "URL may not be captured", message: "This URL may not be captured: {reason}" },
  CAPTURE_QUEUE_FULL: {
    title: "Too many captures waiting",
    message: "This account has {waiting} captures waiting and may have at most {limit}: try again once some have run",
  },
  CAPTURE_NOT_FOUND: { title: "Capture not found", message: "No capture {id}" },
  CAPTURE_WITHOUT_EVIDENCE: { title: "Capture has no evidence yet", message: "Capture {id} has no evidence to bundle: {reason}" },
  CAPTURE_UNAVAILABLE: { title: "Captures unavailable", message: "Captures are unavailable: {reason}" },
  // Webhooks
  WEBHOOK_URL_INVALID: { title: "Webhook URL invalid", message: "This URL cannot receive webhooks: {reason}" },
  WEBHOOK_URL_FORBIDDEN: { title: "Webhook URL forbidden", message: "This URL may not receive webhooks: {reason}" },
  WEBHOOK_EVENT_UNKNOWN: { title: "Unknown webhook event", message: "No event '{event}'; known: {known}" },
  WEBHOOK_NOT_FOUND: { title: "Webhook not found", message: "No webhook {id}" },
  WEBHOOK_DELIVERY_NOT_FOUND: { title: "Webhook delivery not found", message: "No delivery {id} of webhook {webhookId}" },
  // Infrastructure
  CHAIN_UNAVAILABLE: { title: "Chain unavailable", message: "The chain is unavailable: {reason}" },
  STORE_UNAVAILABLE: { title: "Content store unavailable", message: "The content store is unavailable: {reason}" },
  INDEX_UNAVAILABLE: { title: "Index unavailable", message: "The index is unavailable: {reason}" },
  TSA_UNAVAILABLE: { title: "Time-stamp authority unavailable", message: "The time-stamp authority {tsa} is unavailable: {reason}" },
  CONFIG_INVALID: { title: "Invalid configuration", message: "Invalid configuration: {reason}" },
  INTERNAL: { title: "Internal error", message: "Internal error" },
});

export type ErrorCode = keyof typeof Errors;

export class AppError extends Error {
  override readonly name = "AppError";
  readonly code: ErrorCode;
  readonly params: Readonly<Record<string, unknown>>;

  constructor(descriptor: ErrorDescriptor, params: Record<string, unknown> = {}, cause?: unknown) {
    super(
      descriptor.message.replace(/\{(\w+)\}/g, (_, key: string) => String(params[key] ?? `{${key}}`)),
      cause === undefined ? undefined : { cause },
    );
    this.code = descriptor.code as ErrorCode;
    // A plain copy: loggers walk an error's properties and must not meet frozen objects.
    this.params = { ...params };
  }

  get descriptor(): ErrorDescriptor {
    return Errors[this.code];
  }
}

export function isAppError(error: unknown, descriptor?: ErrorDescriptor): error is AppError {
  return error instanceof AppError && (descriptor === undefined || error.code === descriptor.code);
}

/** The first AppError in an error's cause chain (viem's `walk`), if any. */
export function findAppError(error: unknown): AppError | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AppError) return e;
  }
  return undefined;
}
