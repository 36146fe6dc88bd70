/**
 * A small marketplace served on 127.0.0.1 for the capture tests: a listing with schema.org Product
 * JSON-LD, images and a slow stylesheet; one with microdata; one with neither; a redirect; a removed
 * (404) listing; pages that reach for addresses a capture must not touch; and whatever pages a test adds
 * with `serve` (hostile pages aimed at the test's own listeners). For what a person sees only by
 * scrolling or on a phone (lazy-pages.ts): a listing whose photos load when scrolled into view, an endless
 * feed, and a listing served differently to phones.
 */
import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { PNG } from "../fixtures/listing-snapshot.ts";
import { lazyPages } from "./lazy-pages.ts";

export interface Marketplace {
  origin: string;
  port: number;
  /** The same marketplace over HTTPS, with a self-signed certificate for 127.0.0.1. */
  httpsOrigin: string;
  httpsPort: number;
  certificate: { spkiSha256Base64: string; sha256Fingerprint: string; pem: string };
  /** Every path requested so far. */
  hits: string[];
  /** Serves `html` (200) at `path` on both origins, with extra response headers if given. */
  serve(path: string, html: string, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export async function startMarketplace(): Promise<Marketplace> {
  const hits: string[] = [];
  const served = new Map<string, { html: string; headers: Record<string, string> }>();
  let origin = "";
  const page = (title: string, head: string, body: string) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>${head}</head><body>${body}</body></html>`;
  const handler: RequestListener = async (req, res) => {
    const path = req.url ?? "/";
    hits.push(path);
    const html = (status: number, text: string) =>
      res.writeHead(status, { "content-type": "text/html; charset=utf-8", "x-marketplace": "fixture" }).end(text);
    const extra = served.get(path);
    if (extra) return res.writeHead(200, { "content-type": "text/html; charset=utf-8", ...extra.headers }).end(extra.html);
    if (lazyPages(req, res)) return;
    if (path === "/item/8842") {
      const ld = {
        "@context": "https://schema.org",
        "@type": "Product",
        name: "Designer handbag — genuine leather",
        sku: "8842",
        brand: { "@type": "Brand", name: "Maison Exemple" },
        image: ["/img/8842-1.png", `${origin}/img/8842-2.png`],
        offers: {
          "@type": "Offer",
          price: "39.99",
          priceCurrency: "USD",
          seller: { "@type": "Organization", "@id": "seller-77", name: "Bargain Bags" },
        },
      };
      return html(
        200,
        page(
          "Designer handbag",
          `<link rel="stylesheet" href="/slow.css"><script type="application/ld+json">${JSON.stringify(ld)}</script>`,
          `<h1>Designer handbag — genuine leather</h1><p class="price">US $39.99</p><img src="/img/8842-1.png" alt="bag"><p>Sold by Bargain Bags</p>`,
        ),
      );
    }
    if (path === "/item/7") {
      return html(
        200,
        page(
          "Wallet",
          "",
          `<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Leather wallet</h1>
        <meta itemprop="sku" content="W-7"><img itemprop="image" src="/img/8842-1.png" alt="wallet">
        <div itemprop="offers" itemscope itemtype="https://schema.org/Offer"><span itemprop="priceCurrency" content="EUR">€</span><span itemprop="price" content="12.50">12,50</span>
        <div itemprop="seller" itemscope itemtype="https://schema.org/Organization"><span itemprop="name">Wallet World</span></div></div></div>`,
        ),
      );
    }
    if (path === "/about") return html(200, page("About", "", "<h1>About this marketplace</h1>"));
    if (path === "/go/8842") return res.writeHead(302, { location: "/item/8842" }).end();
    if (path === "/item/removed") return html(404, page("Not found", "", "<h1>This listing has been removed</h1>"));
    if (path === "/item/leaky") {
      // A subresource on another loopback address: the capture must refuse it, and this page still loads.
      return html(200, page("Leaky", "", `<h1>Leaky page</h1><img src="http://127.0.0.2:${port}/img/8842-1.png" alt="x">`));
    }
    if (path === "/go/loopback") return res.writeHead(302, { location: `http://[::1]:${port}/item/8842` }).end();
    if (path === "/slow.css") {
      await new Promise((r) => setTimeout(r, 800));
      return res.writeHead(200, { "content-type": "text/css" }).end("h1 { color: #7a1f1f; font-family: sans-serif }");
    }
    if (path.startsWith("/img/")) return res.writeHead(200, { "content-type": "image/png" }).end(PNG);
    if (path === "/never") return; // never answers: for the timeout
    if (path === "/item/heavy") return html(200, page("Heavy", `<link rel="stylesheet" href="/heavy.css">`, "<h1>Heavy listing</h1>"));
    if (path === "/heavy.css")
      return res.writeHead(200, { "content-type": "text/css" }).end(`/*${"x".repeat(300_000)}*/ h1 { color: navy }`);
    if (path.startsWith("/very-slow-item/")) {
      await new Promise((r) => setTimeout(r, 8000)); // long enough to kill the instance capturing it
      return html(200, page("Very slow listing", "", `<h1>Very slow listing ${path.slice(16)}</h1>`));
    }
    if (path.startsWith("/slow-item/")) {
      await new Promise((r) => setTimeout(r, 1500));
      return html(200, page("Slow listing", "", `<h1>Slow listing ${path.slice(11)}</h1>`));
    }
    return html(404, page("Not found", "", "<h1>Not found</h1>"));
  };
  const server: Server = createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  origin = `http://127.0.0.1:${port}`;

  const tls = selfSignedCertificate();
  const secure = createHttpsServer({ key: tls.key, cert: tls.pem }, handler);
  secure.listen(0, "127.0.0.1");
  await once(secure, "listening");
  const httpsPort = (secure.address() as { port: number }).port;
  const x509 = new X509Certificate(tls.pem);
  return {
    origin,
    port,
    httpsOrigin: `https://127.0.0.1:${httpsPort}`,
    httpsPort,
    certificate: {
      pem: tls.pem,
      spkiSha256Base64: createHash("sha256")
        .update(x509.publicKey.export({ type: "spki", format: "der" }))
        .digest("base64"),
      sha256Fingerprint: x509.fingerprint256.replace(/:/g, "").toLowerCase(),
    },
    hits,
    serve: (path, text, headers = {}) => void served.set(path, { html: text, headers }),
    close: async () => {
      for (const s of [server, secure]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}

/** A throwaway certificate for 127.0.0.1, made with openssl (on every Debian machine). */
function selfSignedCertificate(): { key: string; pem: string } {
  const dir = mkdtempSync(join(tmpdir(), "fixture-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1/O=Fixture Marketplace",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), pem: readFileSync(join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
