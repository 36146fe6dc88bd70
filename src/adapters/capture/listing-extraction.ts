/**
 * A listing read from what real marketplaces publish for search engines: schema.org `Product` data as
 * JSON-LD, or as microdata. The reading happens inside the captured page (extract-listing.browser.js).
 */
import { readFileSync } from "node:fs";
export type { ExtractedListing } from "../../ports/page-capturer.ts";

/** An expression that page.evaluate runs in the page; it yields an ExtractedListing or null. */
export const EXTRACT_LISTING_SCRIPT = `(${readFileSync(new URL("./extract-listing.browser.js", import.meta.url), "utf8")}
)()`;
