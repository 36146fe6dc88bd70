/**
 * The API's OpenAPI 3.1 description, generated from the zod schemas the routes validate with and
 * answer in (documented-router.ts, schemas.ts): GET /openapi.json, and interactive documentation
 * (Swagger UI, served from swagger-ui-dist, no CDN) at GET /docs. GET /problems/:code describes a
 * problem type.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import express, { type Request, type Response } from "express";
import { z } from "zod";
import { PACKAGE } from "../package-info.ts";
import { DocumentedRouter, jsonResponse, problems } from "./documented-router.ts";
import { problemTypeOf } from "./errors.ts";
import { ProblemTypeSchema } from "./schemas.ts";

const PAGE_DIR = fileURLToPath(new URL("./api-docs/", import.meta.url));
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

export function openApiDocument(operations: RouteConfig[]) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "An API key: `Authorization: Bearer eak_…`",
  });
  for (const operation of operations) registry.registerPath(operation);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Evidence anchor",
      version: PACKAGE.version,
      description:
        "Preserve online evidence: upload or capture, SHA-256, IPFS, Merkle batch anchored on an EVM registry, and a receipt anyone can verify. Errors are RFC 9457 problem details with a stable `code`.",
    },
  });
}

/** /openapi.json, /docs and /problems/:code. `operations` is read when the description is first asked for. */
export function apiDocsRoutes(operations: () => RouteConfig[]): DocumentedRouter {
  const routes = new DocumentedRouter("/");
  const common = { tags: ["API"], security: [] };
  let document: ReturnType<typeof openApiDocument> | undefined;
  routes.add(
    {
      ...common,
      method: "get",
      path: "/openapi.json",
      summary: "This description (OpenAPI 3.1)",
      responses: { 200: jsonResponse("The description", z.record(z.string(), z.unknown())) },
    },
    (_req: Request, res: Response) => {
      document ??= openApiDocument(operations());
      res.json(document);
    },
  );
  const pageHeaders = (res: Response) => {
    // Swagger UI sets inline styles; nothing else is allowed beyond this origin.
    res.setHeader(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
  };
  routes.add(
    {
      ...common,
      method: "get",
      path: "/docs",
      summary: "Interactive documentation of this API (HTML)",
      responses: { 200: { description: "The page", content: { "text/html": { schema: z.string() } } } },
    },
    (_req: Request, res: Response) => {
      pageHeaders(res);
      res.sendFile(join(PAGE_DIR, "index.html"));
    },
  );
  routes.router.get("/docs/init.js", (_req: Request, res: Response) => {
    pageHeaders(res);
    res.type("text/javascript").sendFile(join(PAGE_DIR, "init.js"));
  });
  routes.router.use("/docs/assets", express.static(SWAGGER_UI_DIR, { index: false, setHeaders: pageHeaders }));
  routes.add(
    {
      ...common,
      method: "get",
      path: "/problems/:code",
      summary: "What a problem type (an error's `type`) stands for",
      request: { params: z.object({ code: z.string() }) },
      responses: { 200: jsonResponse("The problem type", ProblemTypeSchema), ...problems({ 404: "No such problem type (NOT_FOUND)" }) },
    },
    (req: Request, res: Response, next) => {
      const described = problemTypeOf(String(req.params.code));
      if (!described) return next();
      res.json(described);
    },
  );
  return routes;
}
