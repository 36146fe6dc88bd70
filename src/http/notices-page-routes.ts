/**
 * GET /notices: the rights-holder's tracking page. Static HTML, CSS and one ES module, under the same
 * CSP as /verify; the page calls /v1/notices on this origin with the key the user pastes, so these
 * routes need none.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Request, type Response } from "express";
import { z } from "zod";
import { DocumentedRouter } from "./documented-router.ts";
import { pageHeaders } from "./verify-routes.ts";

const PAGE_DIR = fileURLToPath(new URL("./notices-page/", import.meta.url));

export function noticesPageRoutes(): DocumentedRouter {
  const routes = new DocumentedRouter("/");
  routes.add(
    {
      tags: ["Notices"],
      security: [],
      method: "get",
      path: "/notices",
      summary: "The tracking page (HTML): a rights-holder's notices, their timelines and receipts, and a form to file one",
      description: "The page asks for an API key, keeps it in the tab's sessionStorage and sends it only to this origin's /v1/notices.",
      responses: { 200: { description: "The page", content: { "text/html": { schema: z.string() } } } },
    },
    (_req: Request, res: Response) => {
      pageHeaders(res);
      res.sendFile(join(PAGE_DIR, "index.html"));
    },
  );
  routes.router.use("/notices", express.static(PAGE_DIR, { index: false, setHeaders: pageHeaders }));
  return routes;
}
