/** zod at the edge: a request that does not match its schema is a 400 that says which field is wrong. */
import type { z } from "zod";
import { AppError, Errors } from "../errors.ts";

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    throw new AppError(Errors.UNEXPECTED_FIELD, { field: [...issue.path, ...issue.keys].join(".") });
  }
  const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
  throw new AppError(Errors.INVALID_REQUEST, { reason: `${where}${issue.message}` });
}
