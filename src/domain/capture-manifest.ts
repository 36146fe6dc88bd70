/**
 * A capture manifest (`capture-manifest/v1`, docs/receipt.md) as documents read it back: the facts the
 * service observed while it captured a page. Read leniently: a manifest recorded without the page's
 * content (its `finalUrl`, navigations, HTTP answer are then absent) is still a manifest.
 */
import { z } from "zod";

const ArtifactSchema = z.object({
  role: z.string(),
  fileName: z.string(),
  evidenceId: z.string(),
  mediaType: z.string(),
  size: z.number(),
  sha256: z.string(),
  cid: z.string(),
});

export const CaptureManifestSchema = z.object({
  version: z.literal("capture-manifest/v1"),
  captureId: z.string(),
  requestedUrl: z.string(),
  finalUrl: z.string().nullable().optional(),
  redirects: z.array(z.string()).optional(),
  navigations: z
    .array(
      z.object({
        url: z.string(),
        reachedBy: z.string(),
        trigger: z.string().optional(),
        httpStatus: z.number().nullable(),
        refused: z.boolean(),
      }),
    )
    .optional(),
  http: z
    .object({ status: z.number(), statusText: z.string(), headers: z.record(z.string(), z.string()) })
    .nullable()
    .optional(),
  server: z.object({ address: z.string(), port: z.number() }).nullable().optional(),
  tls: z
    .object({
      protocol: z.string(),
      subject: z.string(),
      issuer: z.string(),
      validFrom: z.string(),
      validTo: z.string(),
      sha256Fingerprint: z.string().nullable(),
    })
    .nullable()
    .optional(),
  startedAt: z.string(),
  endedAt: z.string(),
  browser: z.object({
    name: z.string(),
    version: z.string(),
    userAgent: z.string(),
    viewport: z.object({ width: z.number(), height: z.number() }),
    flags: z.array(z.string()),
    profile: z.string(),
    egress: z.string(),
    closedExits: z.record(z.string(), z.string()),
  }),
  /** Absent from manifests made before device profiles: those are desktop captures, unscrolled. */
  device: z
    .object({
      name: z.string(),
      emulates: z.string().nullable(),
      screen: z.object({ width: z.number(), height: z.number() }),
      deviceScaleFactor: z.number(),
      isMobile: z.boolean(),
      hasTouch: z.boolean(),
    })
    .optional(),
  scroll: z
    .object({
      steps: z.number(),
      finalHeight: z.number(),
      cutShort: z.enum(["height", "steps", "time", "stuck"]).nullable(),
      networkIdle: z.boolean(),
      screenshotHeight: z.number(),
      bounds: z.object({ height: z.number(), steps: z.number(), ms: z.number() }),
    })
    .nullable()
    .optional(),
  service: z.object({ name: z.string(), version: z.string(), commit: z.string().nullable().optional() }),
  environment: z
    .object({
      os: z.object({ type: z.string(), release: z.string(), version: z.string(), distribution: z.string().nullable() }),
      clock: z.object({
        synchronized: z.boolean().nullable(),
        ntp: z.boolean().nullable(),
        source: z.string(),
        reason: z.string().optional(),
      }),
      dns: z.array(
        z.object({
          host: z.string(),
          port: z.number(),
          resolvedBy: z.string(),
          addresses: z.array(z.string()),
          connectedTo: z.string().nullable(),
          refused: z.string().optional(),
        }),
      ),
      egressRule: z.string(),
    })
    .optional(),
  video: z
    .object({
      startedAt: z.string().nullable(),
      endedAt: z.string().nullable(),
      frames: z.number(),
      frameRate: z.number(),
      encoder: z.string(),
      error: z.string().nullable(),
    })
    .nullable()
    .optional(),
  requestedBy: z.object({
    account: z.string(),
    caseRef: z.string().optional(),
    listingId: z.string().optional(),
    note: z.string().optional(),
  }),
  listing: z
    .object({
      title: z.string().optional(),
      price: z.object({ amount: z.string().optional(), currency: z.string().optional() }).optional(),
      seller: z.object({ id: z.string().optional(), name: z.string().optional() }).optional(),
      brand: z.string().optional(),
      listingId: z.string().optional(),
      source: z.string().optional(),
    })
    .nullable()
    .optional(),
  listingNote: z.string().optional(),
  refusedRequests: z.array(z.object({ protocol: z.string(), target: z.string(), reason: z.string() })).optional(),
  refusedRequestsNotListed: z.number().optional(),
  outcome: z.object({ status: z.enum(["completed", "failed"]), reason: z.string().optional() }),
  artifacts: z.array(ArtifactSchema),
  missingArtifacts: z.array(z.object({ role: z.string(), reason: z.string() })).optional(),
});

export type CaptureManifest = z.infer<typeof CaptureManifestSchema>;
export type CaptureArtifactEntry = z.infer<typeof ArtifactSchema>;

/** The manifest in these bytes, or why they are not one. */
export function parseCaptureManifest(bytes: Uint8Array): { manifest: CaptureManifest } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { problem: "it is not JSON" };
  }
  const parsed = CaptureManifestSchema.safeParse(json);
  if (!parsed.success) return { problem: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
  return { manifest: parsed.data };
}
