/**
 * multer per route, always with limits, and its errors turned into ours: a client gets a 4xx with a
 * stable code, and multer removes whatever part of the upload reached the disk.
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import multer from "multer";
import { AppError, Errors } from "../errors.ts";
import type { ContentStore } from "../ports/content-store.ts";
import { contentStoreStorage, StorageWriteError } from "./upload-storage.ts";

export interface MultipartOptions {
  store: ContentStore;
  /** Content stored for a request that is then refused, to release later. */
  onRefused: (cids: string[]) => void;
  maxFileBytes: number;
  /** The file fields this route takes, one file each. */
  fileFields: string[];
  maxTextFields: number;
}

export function multipart(options: MultipartOptions): RequestHandler {
  const upload = multer({
    storage: contentStoreStorage(options.store, options.onRefused),
    // Browsers and curl send file names as raw UTF-8; multer's default (latin1) would garble them.
    defParamCharset: "utf8",
    limits: {
      fileSize: options.maxFileBytes,
      // One more than the route takes, so that an extra file part is reported by its field name
      // (UNEXPECTED_FIELD, or TOO_MANY_FILES for a second file in a file field), not as a bare count.
      files: options.fileFields.length + 1,
      fields: options.maxTextFields,
      fieldSize: 64 * 1024,
      fieldNameSize: 100,
      parts: options.fileFields.length + 1 + options.maxTextFields,
      headerPairs: 50,
    },
  }).fields(options.fileFields.map((name) => ({ name, maxCount: 1 })));

  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.is("multipart/form-data")) {
      return next(new AppError(Errors.UNSUPPORTED_MEDIA_TYPE, { expected: "multipart/form-data" }));
    }
    upload(req, res, (error?: unknown) => next(error === undefined ? undefined : toMultipartError(error, options)));
  };
}

/** multer's and busboy's errors as ours. */
export function toMultipartError(error: unknown, options: Pick<MultipartOptions, "maxFileBytes" | "fileFields">): unknown {
  if (error instanceof AppError) return error;
  if (error instanceof StorageWriteError) {
    return new AppError(Errors.STORE_UNAVAILABLE, { reason: error.message }, error); // ours, not the client's
  }
  if (!(error instanceof multer.MulterError)) {
    return new AppError(Errors.MALFORMED_MULTIPART, { reason: error instanceof Error ? error.message : String(error) }, error);
  }
  const field = error.field ?? "";
  switch (error.code) {
    case "LIMIT_FILE_SIZE":
      return new AppError(Errors.FILE_TOO_LARGE, { limit: options.maxFileBytes }, error);
    case "LIMIT_UNEXPECTED_FILE":
      return options.fileFields.includes(field)
        ? new AppError(Errors.TOO_MANY_FILES, { field }, error)
        : new AppError(Errors.UNEXPECTED_FIELD, { field }, error);
    case "LIMIT_FILE_COUNT":
      return new AppError(Errors.TOO_MANY_FILES, { field: options.fileFields.join("', '") }, error);
    default:
      return new AppError(Errors.INVALID_REQUEST, { reason: `${error.message}${field ? ` (${field})` : ""}` }, error);
  }
}
