/**
 * A marketplace listing snapshot: the structured facts of a listing at a moment, stored as its RFC 8785
 * canonical JSON so that the same snapshot always has the same bytes and the same SHA-256.
 */
import { z } from "zod";

const isoDateTime = z.iso.datetime({ offset: true });
const httpUrl = z.url({ protocol: /^https?$/ });

export const ListingSnapshotSchema = z.strictObject({
  url: httpUrl,
  platform: z.string().min(1).max(200),
  listingId: z.string().min(1).max(500),
  title: z.string().min(1).max(5000),
  price: z.strictObject({
    // A string keeps the price exactly as shown ("19.90"); a number is accepted and kept as given.
    amount: z.union([z.string().regex(/^\d+(\.\d+)?$/, "must be a decimal amount"), z.number().nonnegative()]),
    currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD"),
  }),
  seller: z.strictObject({ id: z.string().min(1).max(500), name: z.string().max(1000).optional() }),
  capturedAt: isoDateTime,
  images: z.array(httpUrl).max(500).optional(),
  attributes: z.record(z.string().max(200), z.union([z.string().max(10_000), z.number(), z.boolean()])).optional(),
});

export type ListingSnapshot = z.infer<typeof ListingSnapshotSchema>;
