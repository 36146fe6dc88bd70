/**
 * A multer storage engine that writes each uploaded file to a temporary file while hashing it, so a
 * file is never held whole in memory and its SHA-256 is known the moment the upload ends.
 */
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream, rm } from "node:fs";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Request } from "express";
import type { StorageEngine } from "multer";
import { SNIFF_BYTES } from "../domain/media-type.ts";
import type { ReceivedFile } from "../use-cases/submit-evidence.ts";

/** What this engine adds to multer's file object. */
export interface HashedUpload {
  path: string;
  size: number;
  sha256: string;
  head: Buffer;
}

export class StorageWriteError extends Error {
  override readonly name = "StorageWriteError";
}

export function hashingDiskStorage(tmpDir: string): StorageEngine {
  return {
    _handleFile(_req: Request, file, callback) {
      const path = join(tmpDir, `upload-${randomUUID()}`);
      const hash = createHash("sha256");
      let size = 0;
      const headParts: Buffer[] = [];
      let headLength = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          if (headLength < SNIFF_BYTES) {
            headParts.push(chunk.subarray(0, SNIFF_BYTES - headLength));
            headLength += Math.min(chunk.length, SNIFF_BYTES - headLength);
          }
          done(null, chunk);
        },
      });
      pipeline(file.stream, tap, createWriteStream(path, { flags: "wx" })).then(
        () => {
          const info: HashedUpload = { path, size, sha256: hash.digest("hex"), head: Buffer.concat(headParts) };
          callback(null, info as never);
        },
        (error: unknown) => {
          rm(path, { force: true }, () => callback(new StorageWriteError(String(error), { cause: error })));
        },
      );
    },
    _removeFile(_req: Request, file, callback) {
      rm((file as unknown as HashedUpload).path, { force: true }, (error) => callback(error));
    },
  };
}

export function receivedFile(file: Express.Multer.File): ReceivedFile {
  const upload = file as unknown as HashedUpload;
  return { content: { path: upload.path }, sha256: upload.sha256, size: upload.size, head: upload.head };
}

export function removeUploads(files: Iterable<Express.Multer.File | undefined>): Promise<void[]> {
  return Promise.all(
    [...files]
      .filter((f): f is Express.Multer.File => f !== undefined)
      .map((f) => new Promise<void>((resolve) => rm((f as unknown as HashedUpload).path, { force: true }, () => resolve()))),
  );
}
