/**
 * Why an adoption could not be applied. `transient` failures (an unreachable source, a timeout)
 * are retried with backoff; the others (a wrong digest, an invalid manifest) cannot succeed by
 * retrying and wait for the next adoption.
 */
export class AdoptionError extends Error {
  readonly code: string;
  readonly transient: boolean;

  constructor(code: string, message: string, options: { transient: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "AdoptionError";
    this.code = code;
    this.transient = options.transient;
  }
}

/** Codes of other modules' errors that retrying cannot fix. */
const PERMANENT_CODES = new Set([
  "DIGEST_MISMATCH",
  "SIZE_MISMATCH",
  "MANIFEST_INVALID",
  "PATH_TRAVERSAL",
  "TOO_LARGE",
  "ROLE_MISMATCH",
  "UNSUPPORTED_FORMAT",
  "SMOKE_TEST_FAILED",
  "INSUFFICIENT_MEMORY",
  "NO_SOURCE",
  "NOT_IN_STORE",
  "ARTIFACT_MISMATCH",
  "UNSUPPORTED_SOURCE",
  "manifest_invalid",
  "manifest_not_json",
  "manifest_too_large",
  "manifest_digest_mismatch",
  "artifacts_missing",
]);

/** Turns any error thrown while applying into an AdoptionError, keeping its code when it has one. */
export function toAdoptionError(error: unknown, fallbackCode = "APPLY_FAILED"): AdoptionError {
  if (error instanceof AdoptionError) return error;
  const code = typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : fallbackCode;
  const message = error instanceof Error ? error.message : String(error);
  return new AdoptionError(code, message, { transient: !PERMANENT_CODES.has(code), cause: error });
}
