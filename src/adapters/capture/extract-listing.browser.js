// Runs inside the captured page (the capturer evaluates this file's source there): reads a listing from
// what real marketplaces publish for search engines, schema.org Product data as JSON-LD or microdata.
// Plain JavaScript: it is browser code, checked by the capture tests in Chromium.
function extractListingInPage() {
  const abs = (u) => {
    try {
      return typeof u === "string" && u ? new URL(u, location.href).href : undefined;
    } catch {
      return undefined;
    }
  };
  const str = (v) => (v === undefined || v === null || v === "" ? undefined : String(v).trim());
  const nameOf = (v) => (typeof v === "object" && v !== null ? str(v.name) : str(v));

  const products = [];
  const visit = (node) => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(visit);
    const record = node;
    const types = [].concat(record["@type"] ?? []);
    if (types.some((t) => typeof t === "string" && /(^|[/#])Product$/.test(t))) products.push(record);
    if (record["@graph"]) visit(record["@graph"]);
  };
  for (const script of Array.from(document.querySelectorAll('script[type="application/ld+json"]'))) {
    try {
      visit(JSON.parse(script.textContent ?? ""));
    } catch {
      // a broken JSON-LD block is the page's problem, not the capture's
    }
  }
  if (products.length) {
    const p = products[0];
    const offer = [].concat(p.offers ?? [])[0];
    const seller = offer?.seller;
    return {
      source: "json-ld",
      title: str(p.name),
      price: str(offer?.price ?? offer?.lowPrice),
      currency: str(offer?.priceCurrency),
      seller: seller ? { id: str(seller["@id"] ?? seller.identifier ?? seller.url), name: nameOf(seller) } : undefined,
      images: []
        .concat(p.image ?? [])
        .map((i) => abs(typeof i === "object" && i ? i.url : i))
        .filter(Boolean),
      listingId: str(p.sku ?? p.productID ?? p.mpn),
      brand: nameOf(p.brand),
    };
  }

  const scope = document.querySelector('[itemscope][itemtype*="schema.org/Product"]');
  if (scope) {
    const prop = (root, name) => {
      const el = Array.from(root.querySelectorAll(`[itemprop="${name}"]`)).find(
        (e) => e.closest("[itemscope]") === root || e.parentElement?.closest("[itemscope]") === root,
      );
      if (!el) return undefined;
      return str(el.getAttribute("content") ?? el.getAttribute("src") ?? el.getAttribute("href") ?? el.textContent);
    };
    const offers = scope.querySelector('[itemprop="offers"][itemscope]');
    const seller = offers?.querySelector('[itemprop="seller"][itemscope]') ?? scope.querySelector('[itemprop="seller"][itemscope]');
    return {
      source: "microdata",
      title: prop(scope, "name"),
      price: offers ? prop(offers, "price") : prop(scope, "price"),
      currency: offers ? prop(offers, "priceCurrency") : prop(scope, "priceCurrency"),
      seller: seller ? { id: str(seller.getAttribute("itemid")) ?? prop(seller, "identifier"), name: prop(seller, "name") } : undefined,
      images: Array.from(scope.querySelectorAll('[itemprop="image"]'))
        .map((e) => abs(e.getAttribute("src") ?? e.getAttribute("content") ?? e.getAttribute("href")))
        .filter(Boolean),
      listingId: prop(scope, "sku") ?? prop(scope, "productID"),
      brand: prop(scope, "brand"),
    };
  }
  return null;
}
