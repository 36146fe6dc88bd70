/**
 * The one logger configuration: JSON lines (pino), secrets redacted, and an error serializer that can
 * never throw. A logger that throws while reporting an error turns a clean 503 into an HTML stack trace,
 * which is how the first release answered every 5xx.
 */
import { pino, stdSerializers, type DestinationStream, type Logger } from "pino";

export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['proxy-authorization']",
  "*.apiKey",
  "*.privateKey",
  "*.password",
];

export function safeErrorSerializer(error: unknown): unknown {
  try {
    return stdSerializers.err(error as Error);
  } catch {
    const e = error as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
    return { type: String(e?.name ?? typeof error), message: String(e?.message ?? error), stack: String(e?.stack ?? ""), code: e?.code };
  }
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: REDACTED_PATHS, serializers: { err: safeErrorSerializer, error: safeErrorSerializer } }, destination);
}
