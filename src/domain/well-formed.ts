/**
 * Text for RFC 8785 documents must be well-formed UTF-16: neither canonical JSON nor UTF-8 can carry a
 * lone surrogate, and a page can put one in its text (`"\ud800"` in JSON-LD). Each string that holds one
 * is made well-formed (String.prototype.toWellFormed: every lone surrogate becomes U+FFFD), and its
 * place is named, so that the document can say what it changed.
 */

/** A copy of a JSON value with every string and key well-formed, and the paths (`listing.title`, `a[2].b`) of those that were not. */
export function wellFormedJson<T>(value: T): { value: T; repaired: string[] } {
  const repaired: string[] = [];
  const visit = (item: unknown, path: string): unknown => {
    if (typeof item === "string") {
      if (item.isWellFormed()) return item;
      repaired.push(path);
      return item.toWellFormed();
    }
    if (Array.isArray(item)) return item.map((element, i) => visit(element, `${path}[${i}]`));
    if (item !== null && typeof item === "object") {
      return Object.fromEntries(
        Object.entries(item).map(([key, element]) => {
          const name = key.toWellFormed();
          const at = path ? `${path}.${name}` : name;
          if (name !== key) repaired.push(at);
          return [name, visit(element, at)];
        }),
      );
    }
    return item;
  };
  return { value: visit(value, "") as T, repaired };
}
