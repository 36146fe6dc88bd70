/**
 * Captures: a persisted queue, claimed under a lease so that several instances share it. A capture is
 * run again only when its lease expired (its instance died), never because another instance started.
 *
 * `captured`: the browser's work is done, the artifacts and the manifest are stored. Whether they are
 * anchored yet is not kept here: it is read from their evidence records (capture-status.ts).
 */
import type { CaptureDevice } from "./page-capturer.ts";

export type CaptureStatus = "queued" | "running" | "captured" | "failed";

/**
 * The order the queue serves captures in. A takedown's capture races the platform removing the listing,
 * and a reported listing may vanish before the platform decides: both go before routine captures.
 */
export const CAPTURE_PRIORITY = { routine: 0, reported: 1, takedown: 2 } as const;

/** A capture waiting this long goes before newer ones of any priority: a platform at volume starves no one. */
export const CAPTURE_AGING_MS = 10 * 60_000;

export interface CaptureRecord {
  id: string;
  accountId: string;
  url: string;
  caseRef?: string;
  listingId?: string;
  note?: string;
  /** The device the page is captured as. */
  device: CaptureDevice;
  /** Claimed before captures of a lower one, in order of request within one, until CAPTURE_AGING_MS (CAPTURE_PRIORITY). */
  priority?: number;
  status: CaptureStatus;
  requestedAt: string;
  startedAt?: string;
  finishedAt?: string;
  failureReason?: string;
  /** The evidence id of the capture manifest, once the capture ended. */
  manifestId?: string;
  /** What the capture found (final URL, HTTP status, artifacts, listing), for the API. */
  summary?: Record<string, unknown>;
  /** How many times a run was started (a run cut short by a dead instance counts). */
  attempts: number;
}

export interface CaptureOutcome {
  status: "captured" | "failed";
  failureReason?: string;
  manifestId: string;
  summary: Record<string, unknown>;
  /** When the browser began the capture, as its manifest says: the record then tells the same time. */
  startedAt: string;
  finishedAt: string;
}

export interface CaptureRepository {
  /** Queues a capture; as a desktop unless `device` says otherwise. */
  create(capture: Omit<CaptureRecord, "status" | "attempts" | "device"> & { device?: CaptureDevice }): Promise<void>;
  get(accountId: string, id: string): Promise<CaptureRecord | null>;
  list(accountId: string, limit: number): Promise<CaptureRecord[]>;
  /**
   * Marks up to `max` captures running under `owner`'s lease and returns them, oldest first: queued
   * ones, and running ones whose lease expired. Safe to call from several instances at once.
   */
  claim(max: number, owner: string, leaseMs: number): Promise<CaptureRecord[]>;
  /** How many of the account's captures are waiting to end (queued or running). */
  countWaiting(accountId: string): Promise<number>;
  /** Whether a claim would find anything (a read: an idle queue takes no write). */
  claimable(): Promise<boolean>;
  /** Extends `owner`'s leases on these captures; returns the ids it still holds. */
  renewLeases(ids: string[], owner: string, leaseMs: number): Promise<string[]>;
  /** Hands captures `owner` holds back to the queue (a clean stop), to be claimed at once; the run is not counted. */
  release(ids: string[], owner: string): Promise<number>;
  /**
   * Ends the leases of every capture `owner` holds, which its last process died holding (an owner that is
   * one process at a time): claimable at once, each run counted.
   */
  endLeases(owner: string): Promise<number>;
  /** Puts these captures, those still queued, back among routine ones (their case no longer races a removal). */
  lowerPriority(ids: string[]): Promise<number>;
  /** Ends a capture `owner` still holds; false if its lease was lost (another instance runs it now). */
  finish(id: string, owner: string, outcome: CaptureOutcome): Promise<boolean>;
  /** Ends a running capture as failed, whoever holds it. */
  fail(id: string, reason: string, at: string): Promise<void>;
  /** Fails the captures whose lease expired after `maxAttempts` runs: each run ended without a result (its instance died). */
  failExhausted(maxAttempts: number, reason: string, at: string): Promise<number>;
  countByStatus(): Promise<Record<CaptureStatus, number>>;
}
