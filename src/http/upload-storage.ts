/**
 * A multer storage engine that streams each uploaded file straight into the content store while
 * hashing it: the file is written once (as IPFS blocks, each flushed to disk), never held whole in
 * memory, and its SHA-256 and CID are known the moment the upload ends. The store call is tied to the
 * request: a client that hangs up stops it.
 *
 * An upload refused after its bytes arrived (a bad field after the file part, a size limit, a client
 * that hangs up) is handed to `onRefused`, which releases its content later (use-cases/release-content).
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { Request, Response } from "express";
import type { StorageEngine } from "multer";
import { SNIFF_BYTES } from "../domain/media-type.ts";
import { isAppError } from "../errors.ts";
import type { ContentStore } from "../ports/content-store.ts";
import type { ReceivedFile } from "../use-cases/submit-evidence.ts";
import { requestSignal } from "./request-signal.ts";

/** What this engine adds to multer's file object. */
interface StoredUpload {
  received: ReceivedFile;
}

/** The content store failed (our disk or our IPFS node, not the client): answered as a 5xx. */
export class StorageWriteError extends Error {
  override readonly name = "StorageWriteError";
}

export function contentStoreStorage(store: ContentStore, onRefused: (cids: string[]) => void): StorageEngine {
  return {
    _handleFile(req: Request, file, callback) {
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
      store.add(hashed(), { signal: requestSignal(req, req.res as Response) }).then(
        (cid) => {
          const info: StoredUpload = { received: { content: { cid }, sha256: hash.digest("hex"), size, head } };
          callback(null, info as never);
        },
        (error: unknown) => {
          if (clientError) callback(clientError as Error);
          else callback(isAppError(error) ? error : new StorageWriteError(String(error), { cause: error }));
        },
      );
    },
    _removeFile(_req: Request, file, callback) {
      // multer removes what it stored when the request fails while it is still parsing
      const stored = (file as unknown as Partial<StoredUpload>).received;
      if (stored && "cid" in stored.content) onRefused([stored.content.cid]);
      callback(null);
    },
  };
}

export function receivedFile(file: Express.Multer.File): ReceivedFile {
  return (file as unknown as StoredUpload).received;
}

/** The CIDs of the files a request stored, for releasing them when the request is refused. */
export function storedCids(req: Request): string[] {
  const files = Object.values((req.files ?? {}) as Record<string, Express.Multer.File[]>).flat();
  return files.flatMap((f) => {
    const content = (f as unknown as Partial<StoredUpload>).received?.content;
    return content && "cid" in content ? [content.cid] : [];
  });
}
