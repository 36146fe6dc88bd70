/**
 * A multer storage engine that streams each uploaded file straight into the content store while
 * hashing it: the file is written once (as IPFS blocks, each flushed to disk), never held whole in
 * memory, and its SHA-256 and CID are known the moment the upload ends.
 *
 * An upload refused after its bytes arrived (a bad field after the file part, a size limit, a client
 * that hangs up) leaves its blocks unreferenced in the store. They are content-addressed and never
 * served without a record, so they cost disk space only.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { Request } from "express";
import type { StorageEngine } from "multer";
import { SNIFF_BYTES } from "../domain/media-type.ts";
import type { ContentStore } from "../ports/content-store.ts";
import type { ReceivedFile } from "../use-cases/submit-evidence.ts";

/** What this engine adds to multer's file object. */
interface StoredUpload {
  received: ReceivedFile;
}

/** The content store failed (our disk or our IPFS node, not the client): answered as a 5xx. */
export class StorageWriteError extends Error {
  override readonly name = "StorageWriteError";
}

export function contentStoreStorage(store: ContentStore): StorageEngine {
  return {
    _handleFile(_req: Request, file, callback) {
      const stream: Readable = file.stream;
      const hash = createHash("sha256");
      let size = 0;
      let head = Buffer.alloc(0);
      let clientError: unknown;
      async function* hashed(): AsyncGenerator<Uint8Array> {
        try {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            hash.update(chunk);
            size += chunk.length;
            if (head.length < SNIFF_BYTES) head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
            yield chunk;
          }
        } catch (error) {
          clientError = error; // the upload itself broke off: not the store's fault
          throw error;
        }
      }
      store.add(hashed()).then(
        (cid) => {
          const info: StoredUpload = { received: { content: { cid }, sha256: hash.digest("hex"), size, head } };
          callback(null, info as never);
        },
        (error: unknown) => callback(clientError ? (clientError as Error) : new StorageWriteError(String(error), { cause: error })),
      );
    },
    _removeFile(_req: Request, _file, callback) {
      callback(null); // nothing to undo: blocks are shared and content-addressed (see above)
    },
  };
}

export function receivedFile(file: Express.Multer.File): ReceivedFile {
  return (file as unknown as StoredUpload).received;
}
