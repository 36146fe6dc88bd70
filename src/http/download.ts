/**
 * Content-Disposition for every download (RFC 6266): the real name, in any script, as filename* (RFC 8187,
 * UTF-8), and for clients that read only the plain filename, an ASCII name made from the evidence id
 * rather than one with its letters replaced by "?".
 */
import contentDisposition from "content-disposition";

/** `fallbackStem` names the file when its own name is not plain ASCII; the name's extension is kept. */
export function attachment(fileName: string, fallbackStem: string): string {
  if (/^[\x20-\x7e]*$/.test(fileName)) return contentDisposition(fileName);
  const extension = /(\.[A-Za-z0-9]{1,12})+$/.exec(fileName)?.[0] ?? "";
  return contentDisposition(fileName, { fallback: `${fallbackStem}${extension}` });
}
