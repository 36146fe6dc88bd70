/** A content store in memory for unit tests (no disk): CIDs as Kubo makes them; `fails` picks bytes to refuse. */
import { fileFacts } from "../../src/domain/content-id.ts";
import type { ContentStore } from "../../src/ports/content-store.ts";

export function memoryStore(fails: (bytes: Uint8Array) => boolean = () => false): ContentStore & { held: Map<string, Uint8Array> } {
  const held = new Map<string, Uint8Array>();
  const addBytes = async (bytes: Uint8Array) => {
    if (fails(bytes)) throw new Error("no space left on device");
    const { cid } = await fileFacts(
      (async function* () {
        yield bytes;
      })(),
    );
    held.set(cid, bytes);
    return cid;
  };
  return { addBytes, held } as Pick<ContentStore, "addBytes"> as ContentStore & { held: Map<string, Uint8Array> };
}
