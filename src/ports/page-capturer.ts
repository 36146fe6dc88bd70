/** Captures a web page in a clean browser: every artifact, and how, when and from where it was taken. */
import type { ExtractedListing } from "../adapters/capture/listing-extraction.ts";

export interface CapturedArtifact {
  role: "screenshot" | "mhtml" | "html" | "har";
  fileName: string;
  mediaType: string;
  bytes: Buffer;
}

export interface PageCapture {
  requestedUrl: string;
  finalUrl: string | null;
  /** Each URL the page went through before the final one. */
  redirects: string[];
  http: { status: number; statusText: string; headers: Record<string, string> } | null;
  server: { address: string; port: number } | null;
  tls: { protocol: string; subject: string; issuer: string; validFrom: string; validTo: string; sha256Fingerprint: string | null } | null;
  startedAt: string;
  endedAt: string;
  browser: {
    name: string;
    version: string;
    userAgent: string;
    viewport: { width: number; height: number };
    flags: string[];
    profile: string;
    /** How the browser reached the network. */
    egress: string;
  };
  listing: ExtractedListing | null;
  /** Requests the egress guard refused (never sent). */
  refused: { host: string; port: number; reason: string }[];
  artifacts: CapturedArtifact[];
  /** Why the capture failed, if it did (artifacts taken before the failure are still returned). */
  error: string | null;
}

export interface PageCapturer {
  capture(url: string, options: { timeoutMs: number; maxBytes: number; signal?: AbortSignal }): Promise<PageCapture>;
}
