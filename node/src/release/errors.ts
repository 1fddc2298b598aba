/**
 * Why a release (a signed release manifest, or a package it names) was refused. `code` is stable
 * for programs, `hint` tells a person what to do; the CLI prints `error: <message> (<hint>)`.
 */
import { NsLlmError } from "../errors.ts";

export type ReleaseErrorCode =
  | "release_malformed"
  | "release_untrusted_key"
  | "release_bad_signature"
  | "artifact_unknown"
  | "artifact_size_mismatch"
  | "artifact_digest_mismatch"
  | "install_layout"
  | "version_missing"
  | "version_pinned"
  | "no_previous_version";

export class ReleaseError extends NsLlmError<ReleaseErrorCode> {
  declare readonly hint: string;

  constructor(code: ReleaseErrorCode, message: string, hint: string) {
    super(code, message, { hint });
  }
}
