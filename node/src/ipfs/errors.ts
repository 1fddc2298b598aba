/**
 * The IPFS module's one error type. `code` says what went wrong (callers map it: the CLI to a
 * one-line error, the HTTP routes to a status), `hint` says what to do about it.
 */
import { NsLlmError } from "../errors.ts";

export type IpfsErrorCode =
  /** The string is not a CID (or an ipfs:// URL does not name one). */
  | "invalid_cid"
  /** The content is not in the local repo and this node cannot fetch it (offline, embedded). */
  | "not_found"
  /** No bytes arrived within the time allowed (Kubo found no provider, or a stalled transfer). */
  | "timeout"
  /** The content is larger than the caller allowed. */
  | "too_large"
  /** The CID names something other than a UnixFS file (a directory, or another codec). */
  | "not_a_file"
  /** Another process holds the embedded repo. */
  | "repo_locked"
  /** The Kubo RPC API does not answer. */
  | "unavailable"
  /** Kubo imported the bytes under another CID than the project's import settings give. */
  | "cid_mismatch";

export class IpfsError extends NsLlmError<IpfsErrorCode> {
  constructor(code: IpfsErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(code, message, { hint, cause: options?.cause, transient: TRANSIENT.has(code) });
  }
}

/** Faults that can pass: content that may arrive from a provider later, a daemon that may come back. */
const TRANSIENT: ReadonlySet<IpfsErrorCode> = new Set(["not_found", "timeout", "unavailable", "repo_locked"]);

/** True when `error` is an `IpfsError` (of `code`, when given). */
export function isIpfsError(error: unknown, code?: IpfsErrorCode): error is IpfsError {
  return error instanceof IpfsError && (code === undefined || error.code === code);
}
