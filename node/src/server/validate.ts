/** Checks a request body against a zod schema; a mismatch is a 400 naming the wrong fields. */
import type { z } from "zod";
import { ApiError, describeZodError } from "./errors.ts";

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined || body === null) throw new ApiError(400, "invalid_request", "a JSON body is required");
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError(400, "invalid_request", describeZodError(parsed.error));
  return parsed.data;
}
