/**
 * The JSON the API answers with, as zod schemas: one definition of each shape, from which the views'
 * types are derived (views.ts) and the OpenAPI description is generated (openapi.ts). The integration
 * tests check real answers against them, so the description cannot drift from the service.
 */
import { z } from "zod";
import { EVIDENCE_KINDS } from "../domain/evidence.ts";
import { ACCOUNT_ROLES } from "../ports/account-repository.ts";
import { CustodyDocumentSchema } from "../domain/custody-verification.ts";
import { ReceiptSchema } from "../domain/receipt-schema.ts";
import { CAPTURE_DEVICES } from "../ports/page-capturer.ts";

const sha256 = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .meta({ description: "SHA-256, 64 lowercase hex characters" });
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const isoTime = z.string().meta({ description: "ISO 8601 date-time, UTC" });
const EVIDENCE_ID = "ev_01a21403-31a8-7c1e-9f5b-2d6a7e0b4c11";

export const ProblemSchema = z
  .object({
    type: z.string().meta({ description: "a URI reference; GET it for the problem's description" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().meta({ description: "stable: branch on it (docs/api.md lists every code)" }),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    error: z
      .object({ code: z.string(), message: z.string() })
      .meta({ deprecated: true, description: "the shape before RFC 9457; removed in v2" }),
  })
  .meta({
    id: "Problem",
    description: "RFC 9457 problem details (application/problem+json)",
    example: {
      type: "/problems/EVIDENCE_NOT_ANCHORED",
      title: "Evidence not anchored yet",
      status: 409,
      detail: `Evidence ${EVIDENCE_ID} is not anchored yet (status: pending)`,
      code: "EVIDENCE_NOT_ANCHORED",
      instance: `/v1/evidence/${EVIDENCE_ID}/receipt`,
      requestId: "5f0c2a8e-0d4e-4a34-9b0a-3f4f2a1c9e77",
      error: { code: "EVIDENCE_NOT_ANCHORED", message: `Evidence ${EVIDENCE_ID} is not anchored yet (status: pending)` },
    },
  });

export const EvidenceLinksSchema = z.object({
  self: z.string(),
  receipt: z.string(),
  content: z.string(),
  certificate: z.string(),
  bundle: z.string(),
  custody: z.string(),
});

export const AnchorViewSchema = z.object({
  chainId: z.number().int(),
  registry: z.string(),
  txHash: bytes32,
  blockNumber: z.number().int(),
  blockHash: bytes32,
  timestamp: z.number().int().meta({ description: "the anchoring block's Unix time, in seconds" }),
  root: bytes32,
});

const EVIDENCE_EXAMPLE = {
  id: EVIDENCE_ID,
  kind: "screenshot",
  status: "anchored",
  sha256: "48f2a1c0a8d5e0b0f0c6bd1f0f7c2b8a4a3e6d2b1c9f8e7d6c5b4a3928171605",
  size: 70,
  mediaType: "image/png",
  cid: "bafkreicj6kq4bkgv4cyppbv5d4hxyk3kjjpg2lmmt54ohn7mtlnkcqmra4",
  metadataSha256: "18d3c6e2a7b9f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d",
  receivedAt: "2026-11-25T18:12:27.577Z",
  metadata: {
    id: EVIDENCE_ID,
    kind: "screenshot",
    sha256: "48f2a1c0a8d5e0b0f0c6bd1f0f7c2b8a4a3e6d2b1c9f8e7d6c5b4a3928171605",
    size: 70,
    mediaType: "image/png",
    cid: "bafkreicj6kq4bkgv4cyppbv5d4hxyk3kjjpg2lmmt54ohn7mtlnkcqmra4",
    receivedAt: "2026-11-25T18:12:27.577Z",
    fileName: "listing.png",
    claimedMediaType: "image/png",
    sourceUrl: "https://marketplace.example/item/8842",
  },
  anchor: {
    chainId: 31337,
    registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    txHash: "0x6d3c3e67a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c",
    blockNumber: 2,
    blockHash: "0x14ffd744a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c",
    timestamp: 1795632085,
    root: "0x2224023fa1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c",
  },
  links: {
    self: `/v1/evidence/${EVIDENCE_ID}`,
    receipt: `/v1/evidence/${EVIDENCE_ID}/receipt`,
    content: `/v1/evidence/${EVIDENCE_ID}/content`,
    certificate: `/v1/evidence/${EVIDENCE_ID}/certificate.pdf`,
    bundle: `/v1/evidence/${EVIDENCE_ID}/bundle`,
    custody: `/v1/evidence/${EVIDENCE_ID}/custody`,
  },
};

export const EvidenceViewSchema = z
  .object({
    id: z.string(),
    kind: z.enum(EVIDENCE_KINDS),
    status: z.enum(["pending", "anchored", "failed"]),
    sha256,
    size: z.number().int().nonnegative(),
    mediaType: z.string().meta({ description: "read from the bytes, not from the client's claim" }),
    cid: z.string().meta({ description: "IPFS CIDv1 (ipfs add --cid-version=1)" }),
    metadataSha256: sha256,
    receivedAt: isoTime,
    metadata: z.record(z.string(), z.unknown()).meta({ description: "the hashed metadata (RFC 8785); its SHA-256 is metadataSha256" }),
    anchor: AnchorViewSchema.optional(),
    failureReason: z.string().optional(),
    links: EvidenceLinksSchema,
  })
  .meta({ id: "Evidence", example: EVIDENCE_EXAMPLE });

export const EvidenceWithRelatedSchema = EvidenceViewSchema.extend({ related: z.array(EvidenceViewSchema) }).meta({
  id: "EvidenceWithRelated",
  example: { ...EVIDENCE_EXAMPLE, kind: "listing-snapshot", mediaType: "application/json", related: [] },
});

export const SnapshotBatchResultSchema = z
  .object({
    accepted: z.number().int().meta({ description: "lines stored and queued for anchoring" }),
    rejected: z.number().int().meta({ description: "lines refused (nothing stored for them)" }),
    results: z.array(
      z.union([
        z.object({ line: z.number().int(), id: z.string(), status: z.literal("pending"), sha256: z.string() }),
        z.object({ line: z.number().int(), error: z.object({ code: z.string(), message: z.string() }) }),
      ]),
    ),
  })
  .meta({
    id: "SnapshotBatchResult",
    example: {
      accepted: 1,
      rejected: 1,
      results: [
        { line: 1, id: "ev_01JD3M9N5Q4W8Z2K6X7T1B3C5D", status: "pending", sha256: "9f2c".padEnd(64, "0") },
        { line: 2, error: { code: "INVALID_REQUEST", message: "price.currency: must be an ISO 4217 code such as USD" } },
      ],
    },
  });

export const EvidencePageSchema = z
  .object({ items: z.array(EvidenceViewSchema), nextCursor: z.string().nullable() })
  .meta({ id: "EvidencePage", example: { items: [EVIDENCE_EXAMPLE], nextCursor: null } });

export const ReceiptResponseSchema = ReceiptSchema.meta({
  id: "Receipt",
  description: "evidence-receipt/v2 (docs/receipt.md); POST /v1/verify also takes evidence-receipt/v1",
});

export const CustodyDocumentResponseSchema = CustodyDocumentSchema.meta({
  id: "CustodyLog",
  description: "custody-log/v1 (docs/receipt.md, 'The chain of custody'): entries with their hash inputs and links, and the anchored heads",
});

export const CustodyPageSchema = CustodyDocumentSchema.extend({
  nextCursor: z.string().nullable().meta({ description: "the `after` of the next page, or null at the log's head" }),
}).meta({ id: "CustodyLogPage" });

const CheckPartSchema = z.object({
  id: z.string(),
  label: z.string(),
  status: z.enum(["pass", "fail", "warn", "skip"]),
  detail: z.string(),
});

export const CheckSchema = CheckPartSchema.extend({
  unreachable: z.literal(true).optional(),
  parts: z.array(CheckPartSchema).optional().meta({ description: "the steps of a time-stamp's check" }),
});

const TrustSchema = z.enum(["public", "development", "unknown"]).meta({
  description: "public: a known public chain, its identity checked by its block 0; development: proves nothing to a third party",
});

export const VerificationSchema = z
  .object({
    evidenceId: z.string(),
    verified: z.boolean(),
    trust: TrustSchema,
    chain: z.object({ chainId: z.number().int(), name: z.string(), trust: TrustSchema }),
    checks: z.array(CheckSchema),
    chainReachable: z.boolean().nullable(),
    anchoredAt: z
      .object({
        iso: z.string(),
        timestamp: z.number().int(),
        blockNumber: z.number().int(),
        chainId: z.number().int(),
        noLaterThan: z.string().meta({ description: "the last instant the anchor proves (block times are whole seconds)" }),
      })
      .optional(),
    times: z.array(
      z.object({
        source: z.enum(["anchor", "rfc3161"]),
        by: z.string(),
        noLaterThan: z.string(),
        precision: z.string(),
        trusted: z.boolean(),
      }),
    ),
    summary: z.string(),
  })
  .meta({
    id: "Verification",
    example: {
      evidenceId: EVIDENCE_ID,
      verified: true,
      trust: "public",
      chain: { chainId: 11155111, name: "Sepolia (Ethereum test network)", trust: "public" },
      checks: [{ id: "chain.anchor", label: "anchor", status: "pass", detail: "anchorOf(root) = 2026-11-25T18:41:24Z, block 7301442" }],
      chainReachable: true,
      anchoredAt: {
        iso: "2026-11-25T18:41:24Z",
        timestamp: 1795632084,
        blockNumber: 7301442,
        chainId: 11155111,
        noLaterThan: "2026-11-25T18:41:35.999Z",
      },
      times: [
        {
          source: "rfc3161",
          by: "the RFC 3161 time-stamp of https://tsa.example/ (CN=Example TSA, serial 4f1a)",
          noLaterThan: "2026-11-25T18:41:23.120Z",
          precision: "genTime 2026-11-25T18:41:23.020Z, plus the TSA's stated accuracy of 100 ms",
          trusted: true,
        },
        {
          source: "anchor",
          by: "block 7301442 of Sepolia (Ethereum test network) (chain id 11155111), block time 2026-11-25T18:41:24Z",
          noLaterThan: "2026-11-25T18:41:35.999Z",
          precision:
            "block times are whole seconds, and on Sepolia (Ethereum test network) a block's time may precede its transactions by less than 12 s",
          trusted: true,
        },
      ],
      summary:
        "VERIFIED: This file existed no later than 2026-11-25T18:41:23.120Z (the RFC 3161 time-stamp of https://tsa.example/ (CN=Example TSA, serial 4f1a); genTime 2026-11-25T18:41:23.020Z, plus the TSA's stated accuracy of 100 ms). Also: no later than 2026-11-25T18:41:35.999Z by block 7301442 of Sepolia (Ethereum test network) (chain id 11155111), block time 2026-11-25T18:41:24Z.",
    },
  });

const ACCOUNT_EXAMPLE = {
  id: "acc_01a21403-0000-7000-8000-000000000001",
  name: "Brand Protection Ltd",
  role: "rights-holder",
  createdAt: "2026-11-25T18:00:00.000Z",
};

export const PlatformSettingsSchema = z.strictObject({
  decisionDueHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90),
  // DSA art. 20(1): at least six months; 184 days is the longest six months run.
  counterNoticeWindowDays: z.number().int().min(184).max(3650),
  restoreAfterBusinessDays: z.number().int().min(10).max(14),
});

export const AccountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ACCOUNT_ROLES),
    createdAt: isoTime,
    platformId: z.string().optional().meta({ description: "a respondent's platform" }),
    sellerIds: z.array(z.string()).optional().meta({ description: "a respondent's seller ids on its platform" }),
    settings: PlatformSettingsSchema.optional().meta({ description: "a platform's clocks for its cases" }),
  })
  .meta({ id: "Account", example: ACCOUNT_EXAMPLE });

export const CreatedAccountSchema = AccountSchema.extend({
  apiKey: z.string().optional().meta({ description: "shown once: absent when replayed for an Idempotency-Key" }),
  keyId: z.string(),
}).meta({ id: "CreatedAccount", example: { ...ACCOUNT_EXAMPLE, apiKey: "eak_3q2…", keyId: "key_01a21403-0000-7000-8000-000000000002" } });

const KEY_EXAMPLE = {
  id: "key_01a21403-0000-7000-8000-000000000002",
  accountId: ACCOUNT_EXAMPLE.id,
  prefix: "eak_3q2Zt9Kw",
  createdAt: "2026-11-25T18:00:00.000Z",
  revokedAt: null,
};

export const ApiKeySchema = z
  .object({ id: z.string(), accountId: z.string(), prefix: z.string(), createdAt: isoTime, revokedAt: isoTime.nullable() })
  .meta({ id: "ApiKey", example: KEY_EXAMPLE });

export const CreatedApiKeySchema = ApiKeySchema.extend({
  apiKey: z.string().optional().meta({ description: "shown once: absent when replayed for an Idempotency-Key" }),
}).meta({
  id: "CreatedApiKey",
  example: { ...KEY_EXAMPLE, apiKey: "eak_9Jk…" },
});

export const ApiKeyListSchema = z.object({ items: z.array(ApiKeySchema) }).meta({ id: "ApiKeyList", example: { items: [KEY_EXAMPLE] } });

export const HealthSchema = z.object({ status: z.literal("ok") }).meta({ id: "Health", example: { status: "ok" } });

export const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "unavailable"]),
    unavailable: z.array(z.string()).optional(),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
  })
  .catchall(z.unknown())
  .meta({
    id: "Readiness",
    example: {
      status: "unavailable",
      unavailable: ["chain", "anchoring"],
      checks: {
        chain: { ok: false, error: "The chain is unavailable: CHAIN_RPC_URL does not answer eth_chainId" },
        ipfs: { ok: true },
        index: { ok: true },
        anchoring: { ok: false, error: "The chain is unavailable: CHAIN_RPC_URL does not answer eth_chainId" },
      },
      queue: { pending: 12, anchored: 4210, failed: 0 },
    },
  });

export const ProblemTypeSchema = z
  .object({ type: z.string(), code: z.string(), title: z.string(), status: z.number().int(), documentation: z.string() })
  .meta({
    id: "ProblemType",
    example: {
      type: "/problems/STORE_UNAVAILABLE",
      code: "STORE_UNAVAILABLE",
      title: "Content store unavailable",
      status: 503,
      documentation: "docs/api.md#error-codes",
    },
  });

const CAPTURE_ID = "cap_01a21403-0000-7000-8000-000000000003";
const MANIFEST_ID = "ev_01a21403-0000-7000-8000-000000000004";

export const CaptureViewSchema = z
  .object({
    id: z.string(),
    status: z.enum(["queued", "running", "captured", "anchored", "failed"]).meta({
      description:
        "captured: the browser's work is done, the artifacts and the manifest stored; anchored: the manifest and every artifact anchored (see anchor); failed: see failureReason",
    }),
    url: z.string(),
    caseRef: z.string().optional(),
    listingId: z.string().optional(),
    note: z.string().optional(),
    device: z.enum(CAPTURE_DEVICES),
    requestedAt: isoTime,
    startedAt: isoTime.optional(),
    finishedAt: isoTime.optional(),
    failureReason: z.string().optional(),
    finalUrl: z.string().nullable().optional(),
    httpStatus: z.number().int().nullable().optional(),
    serverAddress: z.string().nullable().optional(),
    listing: z.record(z.string(), z.unknown()).nullable().optional(),
    listingNote: z.string().optional(),
    refusedRequests: z.array(z.record(z.string(), z.unknown())).optional(),
    browser: z
      .object({ name: z.string(), version: z.string() })
      .optional()
      .meta({ description: "the browser that made the capture (absent for captures made before release 0.2)" }),
    artifacts: z
      .array(
        z.object({
          role: z.string(),
          evidenceId: z.string(),
          sha256,
          cid: z.string(),
          size: z.number().int(),
          mediaType: z.string(),
          links: EvidenceLinksSchema,
        }),
      )
      .optional(),
    manifest: z.object({ evidenceId: z.string(), sha256, cid: z.string() }).optional(),
    anchor: AnchorViewSchema.optional().meta({
      description: "the manifest's anchor, once the manifest and every artifact are anchored; timestamp is the block's time",
    }),
    links: z.object({
      self: z.string(),
      manifest: EvidenceLinksSchema.optional(),
      bundle: z.string().optional().meta({ description: "the capture's bundle, once the manifest and every artifact are anchored" }),
    }),
  })
  .catchall(z.unknown())
  .meta({
    id: "Capture",
    example: {
      id: CAPTURE_ID,
      status: "queued",
      url: "https://marketplace.example/item/8842",
      caseRef: "CASE-9",
      device: "desktop",
      requestedAt: "2026-11-25T18:12:27.577Z",
      links: { self: `/v1/captures/${CAPTURE_ID}` },
    },
  });

export const CaptureListSchema = z.object({ items: z.array(CaptureViewSchema) }).meta({
  id: "CaptureList",
  example: {
    items: [
      {
        id: CAPTURE_ID,
        status: "anchored",
        url: "https://marketplace.example/go/8842",
        device: "desktop",
        requestedAt: "2026-11-25T18:12:27.577Z",
        startedAt: "2026-11-25T18:12:27.800Z",
        finishedAt: "2026-11-25T18:12:31.020Z",
        finalUrl: "https://marketplace.example/item/8842",
        httpStatus: 200,
        serverAddress: "93.184.215.14",
        browser: { name: "Chromium", version: "142.0.7444.175" },
        anchor: EVIDENCE_EXAMPLE.anchor,
        links: {
          self: `/v1/captures/${CAPTURE_ID}`,
          manifest: {
            self: `/v1/evidence/${MANIFEST_ID}`,
            receipt: `/v1/evidence/${MANIFEST_ID}/receipt`,
            content: `/v1/evidence/${MANIFEST_ID}/content`,
            certificate: `/v1/evidence/${MANIFEST_ID}/certificate.pdf`,
            bundle: `/v1/evidence/${MANIFEST_ID}/bundle`,
            custody: `/v1/evidence/${MANIFEST_ID}/custody`,
          },
          bundle: `/v1/captures/${CAPTURE_ID}/bundle`,
        },
      },
    ],
  },
});

export type EvidenceView = z.infer<typeof EvidenceViewSchema>;
export type Problem = z.infer<typeof ProblemSchema>;
