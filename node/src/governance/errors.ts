/**
 * Why an adoption could not be applied. `transient` failures (an unreachable source, a timeout)
 * are retried with backoff; the others (a wrong digest, an invalid manifest, a model too large for
 * this machine) cannot succeed by retrying and wait for the next adoption.
 */
import type { AdoptionErrorCode } from "@ns-llm/contracts";
import { NsLlmError, type NsLlmErrorOptions } from "../errors.ts";

export class AdoptionError extends NsLlmError<AdoptionErrorCode> {
  /**
   * The full story for the operator (their log, `ns-llm adoption list`) when `message` had to
   * leave it out: what a source answered (status, size, hash) is never public (see PullError).
   */
  readonly detail: string | undefined;

  constructor(code: AdoptionErrorCode, message: string, options: NsLlmErrorOptions & { transient: boolean; detail?: string }) {
    super(code, message, options);
    this.detail = options.detail;
  }
}

/**
 * Any error thrown while applying, as an AdoptionError: a project error keeps its code and says
 * itself whether retrying can help; anything else (a fault nobody named) is `apply_failed` and
 * retried, since nothing says it is permanent.
 */
export function toAdoptionError(error: unknown): AdoptionError {
  if (error instanceof AdoptionError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof NsLlmError) {
    const code = (ADOPTION_CODES.has(error.code) ? error.code : "apply_failed") as AdoptionErrorCode;
    return new AdoptionError(code, message, { transient: error.transient, ...(error.hint ? { hint: error.hint } : {}), cause: error });
  }
  return new AdoptionError("apply_failed", message, { transient: true, cause: error });
}

import { ADOPTION_ERROR_CODES } from "@ns-llm/contracts";
const ADOPTION_CODES: ReadonlySet<string> = new Set(ADOPTION_ERROR_CODES);
