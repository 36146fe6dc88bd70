/**
 * The chain of custody over HTTP: an item's entries, for its account (GET /v1/evidence/:id/custody),
 * and the whole log, page by page, for admins (GET /v1/custody). Viewing the log is itself an access,
 * recorded like any other.
 */
import type { Request, Response } from "express";
import { z } from "zod";
import type { IndexStore } from "../ports/index-store.ts";
import type { AnchorCheckDeps } from "../use-cases/confirm-anchors.ts";
import { custodyPage, itemCustody, type CustodyReadDeps } from "../use-cases/read-custody.ts";
import { accountOf, requireAdmin, requireApiKey } from "./auth.ts";
import { custodyRecorder, type CustodyRecorder } from "./custody-access.ts";
import { BEARER, DocumentedRouter, jsonResponse, problems } from "./documented-router.ts";
import { CustodyDocumentResponseSchema, CustodyPageSchema } from "./schemas.ts";
import { parseInput } from "./validation.ts";

const IdParamSchema = z.object({ id: z.string().min(1).max(100) });
const PageQuerySchema = z.strictObject({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .default(0)
    .meta({ description: "the seq to start after (a page's nextCursor)" }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const integrity = {
  500: "An entry of the log was edited or removed, or a head's anchor disagrees with the chain (CUSTODY_INTEGRITY)",
  503: "The chain or the index cannot be reached (Retry-After)",
};

/** GET /v1/evidence/:id/custody, on the evidence router (its key check and error handling). */
export function itemCustodyRoute(routes: DocumentedRouter, deps: CustodyReadDeps, custody: CustodyRecorder): void {
  routes.add(
    {
      tags: ["Evidence"],
      security: BEARER,
      method: "get",
      path: "/:id/custody",
      summary: "The item's chain of custody: every access to it, hash-chained, with the anchored heads that cover it",
      description:
        "Each entry with its hash inputs and its link to the one before; other items' entries in between by their digest only; " +
        "each anchored head with its leaf, Merkle proof, root and anchor. Entries not yet covered by an anchored head have anchoredBy null.",
      request: { params: IdParamSchema },
      responses: {
        200: jsonResponse("The custody log of the item (custody-log/v1)", CustodyDocumentResponseSchema),
        ...problems({ 401: "No valid API key", 404: "No such evidence for this account (EVIDENCE_NOT_FOUND)", ...integrity }),
      },
    },
    custody.item,
    async (req: Request, res: Response) => {
      const { id } = parseInput(IdParamSchema, req.params);
      const document = await itemCustody(deps, accountOf(req).id, id);
      await custody.record(req, res);
      res.json(document);
    },
  );
}

/** GET /v1/custody: the whole log, for admins. */
export function custodyLogRoutes(deps: {
  index: Pick<IndexStore, "custody" | "evidence" | "accounts">;
  anchors: AnchorCheckDeps;
}): DocumentedRouter {
  const routes = new DocumentedRouter("/v1");
  const read: CustodyReadDeps = { evidence: deps.index.evidence, custody: deps.index.custody, anchors: deps.anchors };
  const custody = custodyRecorder({ custody: deps.index.custody, evidence: deps.index.evidence });
  routes.router.use("/custody", requireApiKey(deps.index.accounts), requireAdmin("read the whole custody log"));
  routes.add(
    {
      tags: ["Custody"],
      security: BEARER,
      method: "get",
      path: "/custody",
      summary: "The whole custody log, oldest first, every entry shown (admins)",
      request: { query: PageQuerySchema },
      responses: {
        200: jsonResponse("A page of the log (custody-log/v1, with nextCursor)", CustodyPageSchema),
        ...problems({ 400: "A bad after or limit", 401: "No valid API key", 403: "Not an admin's key (FORBIDDEN)", ...integrity }),
      },
    },
    custody.wholeLog,
    async (req: Request, res: Response) => {
      const query = parseInput(PageQuerySchema, { ...req.query });
      const { document, nextCursor } = await custodyPage(read, query);
      await custody.record(req, res);
      res.json({ ...document, nextCursor });
    },
  );
  routes.router.use(custody.failed);
  return routes;
}
