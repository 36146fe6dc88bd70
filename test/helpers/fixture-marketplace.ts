/**
 * A small marketplace served on 127.0.0.1 for the capture tests: a listing with schema.org Product
 * JSON-LD, images and a slow stylesheet; one with microdata; one with neither; a redirect; a removed
 * (404) listing; and pages that reach for addresses a capture must not touch.
 */
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import { PNG } from "../fixtures/listing-snapshot.ts";

export interface Marketplace {
  origin: string;
  port: number;
  /** Every path requested so far. */
  hits: string[];
  close(): Promise<void>;
}

export async function startMarketplace(): Promise<Marketplace> {
  const hits: string[] = [];
  let origin = "";
  const page = (title: string, head: string, body: string) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>${head}</head><body>${body}</body></html>`;
  const server: Server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    hits.push(path);
    const html = (status: number, text: string) => res.writeHead(status, { "content-type": "text/html; charset=utf-8", "x-marketplace": "fixture" }).end(text);
    if (path === "/item/8842") {
      const ld = {
        "@context": "https://schema.org",
        "@type": "Product",
        name: "Designer handbag — genuine leather",
        sku: "8842",
        brand: { "@type": "Brand", name: "Maison Exemple" },
        image: ["/img/8842-1.png", `${origin}/img/8842-2.png`],
        offers: { "@type": "Offer", price: "39.99", priceCurrency: "USD", seller: { "@type": "Organization", "@id": "seller-77", name: "Bargain Bags" } },
      };
      return html(200, page("Designer handbag", `<link rel="stylesheet" href="/slow.css"><script type="application/ld+json">${JSON.stringify(ld)}</script>`,
        `<h1>Designer handbag — genuine leather</h1><p class="price">US $39.99</p><img src="/img/8842-1.png" alt="bag"><p>Sold by Bargain Bags</p>`));
    }
    if (path === "/item/7") {
      return html(200, page("Wallet", "", `<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Leather wallet</h1>
        <meta itemprop="sku" content="W-7"><img itemprop="image" src="/img/8842-1.png" alt="wallet">
        <div itemprop="offers" itemscope itemtype="https://schema.org/Offer"><span itemprop="priceCurrency" content="EUR">€</span><span itemprop="price" content="12.50">12,50</span>
        <div itemprop="seller" itemscope itemtype="https://schema.org/Organization"><span itemprop="name">Wallet World</span></div></div></div>`));
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
    if (path === "/heavy.css") return res.writeHead(200, { "content-type": "text/css" }).end(`/*${"x".repeat(300_000)}*/ h1 { color: navy }`);
    if (path.startsWith("/slow-item/")) {
      await new Promise((r) => setTimeout(r, 1500));
      return html(200, page("Slow listing", "", `<h1>Slow listing ${path.slice(11)}</h1>`));
    }
    return html(404, page("Not found", "", "<h1>Not found</h1>"));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
