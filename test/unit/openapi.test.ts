/**
 * The OpenAPI description: a valid OpenAPI 3.1 document, describing every route the app serves (asset
 * files aside), each example valid against its own schema in the generated document.
 */
import { expect } from "chai";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { pino } from "pino";
import type { RouteConfig } from "@asteasolutions/zod-to-openapi";
import { createApp, type AppDeps } from "../../src/http/create-app.ts";
import { openApiDocument } from "../../src/http/openapi.ts";

/** Routes that serve files of a page, not API operations. */
const ASSETS = ["GET /docs/init.js", "GET /verify/vendor/canonicalize.js"];

function app() {
  // Building the app calls none of its parts: stand-ins that are never used will do.
  const unused = {} as never;
  const deps: AppDeps = {
    store: unused,
    index: { rateLimits: unused, evidence: unused, accounts: unused, releases: unused, timestamps: unused, certificates: unused } as never,
    anchors: unused,
    metrics: unused,
    log: pino({ level: "silent" }),
    maxUploadBytes: 1000,
    snapshotBatch: { maxLines: 10, maxBytes: 1000 },
    idempotencyKeyTtlMs: 1000,
    readiness: {},
    chainReader: unused,
    timeTrust: { tsaTrustAnchors: [], developmentChainIds: [] },
    tsaCaByUrl: new Map(),
    verifyRateLimitPerMinute: 1,
    certificate: { issuer: {}, timestampWaitMs: 0 },
    captures: { index: { accounts: unused } as never, egress: unused, unavailable: () => null, maxWaiting: 1 },
    cases: { platformDefaults: { decisionDueHours: 24, counterNoticeWindowDays: 184, restoreAfterBusinessDays: 10 } } as never,
  };
  return createApp(deps);
}

/** "METHOD /full/path" of every route the Express app serves, mount points included. */
function servedRoutes(stack: any[], prefix = ""): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      // `\:` in an Express path is a literal colon.
      const path = (prefix + layer.route.path).replace(/\\:/g, ":").replace(/\/+$/, "") || "/";
      return Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${path}`);
    }
    if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === "string" && layer.rawPath !== "/" ? layer.rawPath : "";
      return servedRoutes(layer.handle.stack, prefix + mount);
    }
    return [];
  });
}

describe("the OpenAPI description", () => {
  const express = app();
  const operations = express.locals.operations as RouteConfig[];
  const document = openApiDocument(operations) as any;

  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(document);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)?.slice(0, 2000)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
    expect(document.openapi).to.equal("3.1.0");
  });

  it("describes every route the app serves, and nothing it does not", () => {
    const served = servedRoutes((express as any).router.stack)
      .filter((r) => !ASSETS.includes(r))
      .sort();
    const described = operations.map((o) => `${o.method.toUpperCase()} ${o.path.replace(/\{(\w+)\}/g, ":$1")}`).sort();
    expect(served).to.deep.equal(described);
    expect(described).to.include.members([
      "POST /v1/evidence",
      "GET /v1/evidence/:id/receipt",
      "POST /v1/verify",
      "GET /readyz",
      "POST /v1/captures",
      "DELETE /v1/accounts/:id/keys/:keyId",
    ]);
  });

  it("has examples of the main shapes, every one valid against its schema as generated", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ ...document, $id: "openapi.json" });
    const schemas = Object.entries(document.components.schemas as Record<string, any>);
    expect(schemas.length).to.be.greaterThan(10);
    const withExamples = schemas.filter(([, schema]) => schema.example !== undefined);
    expect(withExamples.map(([name]) => name)).to.include.members([
      "Evidence",
      "Problem",
      "Verification",
      "Capture",
      "Account",
      "ApiKey",
      "Readiness",
    ]);
    for (const [name, schema] of withExamples) {
      const validate = ajv.getSchema(`openapi.json#/components/schemas/${name}`)!;
      expect(validate(schema.example), `${name}: ${JSON.stringify(validate.errors)}`).to.equal(true);
    }
  });

  it("says which answers are problems (application/problem+json) and that /v1 needs an API key", () => {
    const upload = document.paths["/v1/evidence"].post;
    expect(upload.security).to.deep.equal([{ apiKey: [] }]);
    expect(Object.keys(upload.responses["413"].content)).to.deep.equal(["application/problem+json"]);
    expect(document.paths["/v1/verify"].post.security).to.deep.equal([]);
  });
});
