import type { ManifestArtifact } from "../../manifest/index.ts";
import { NsLlmError } from "../../errors.ts";
import { shortDigest } from "./layout.ts";

/** What happened when one source was tried for one artifact. */
export type SourceAttempt = {
  source: string;
  /** Why it failed, for people. */
  reason: string;
  /**
   * network: connection refused, reset, timed out, or a non-2xx answer; truncated: the body ended
   * early (the part is kept for resuming); digest: the bytes have another sha256; oversize: more
   * bytes than declared (both discard the part); unsupported: no fetcher for the scheme;
   * refused: the source policy forbids the address or scheme (nothing was fetched).
   */
  kind: "network" | "truncated" | "digest" | "oversize" | "unsupported" | "refused";
};

/** An artifact that no source could deliver intact. `attempts` says what each source did. */
export class PullError extends NsLlmError<"artifact_unavailable"> {
  readonly artifact: ManifestArtifact;
  readonly attempts: SourceAttempt[];

  constructor(artifact: ManifestArtifact, attempts: SourceAttempt[]) {
    const what = `${artifact.path} (sha256 ${shortDigest(artifact.sha256)}…, ${artifact.size} bytes)`;
    super(
      "artifact_unavailable",
      attempts.length === 0
        ? `${what} is not in the store and its manifest names no source`
        : `could not fetch ${what}: ${attempts.map((a) => `${a.source}: ${a.reason}`).join("; ")}`,
      // Worth another try only when some source failed in a way that can pass.
      { transient: attempts.some((a) => a.kind === "network" || a.kind === "truncated") },
    );
    this.artifact = artifact;
    this.attempts = attempts;
  }

  /**
   * What may be shown to anyone (audit entries, /health, /api/governance): the artifact, each
   * source (the manifest's, public) and a code for what it did, never the status, size or hash
   * a source answered with, which would make every node a probe of its network for whoever
   * writes a manifest. The full `message` goes to the operator's log.
   */
  get summary(): string {
    const what = `${this.artifact.path} (sha256 ${shortDigest(this.artifact.sha256)}…, ${this.artifact.size} bytes)`;
    if (this.attempts.length === 0) return `${what} is not in the store and its manifest names no source`;
    return `could not fetch ${what}: ${this.attempts.map((a) => `${a.source}: ${ATTEMPT_CODES[a.kind]}`).join("; ")}`;
  }
}

/** The public code of each kind of source failure. */
export const ATTEMPT_CODES: Record<SourceAttempt["kind"], string> = {
  network: "source_unavailable",
  truncated: "source_truncated",
  digest: "wrong_content",
  oversize: "wrong_content",
  unsupported: "unsupported_scheme",
  refused: "source_refused",
};

/** A fault of one source, raised by fetchers; `retryable` means keep the partial file. */
export class SourceError extends NsLlmError<"source_failed"> {
  readonly kind: SourceAttempt["kind"];

  constructor(message: string, kind: SourceAttempt["kind"] = "network", options?: { cause?: unknown }) {
    super("source_failed", message, { transient: kind === "network" || kind === "truncated", ...(options?.cause !== undefined ? { cause: options.cause } : {}) });
    this.kind = kind;
  }
}

/** Blobs a manifest needs that the store does not hold. */
export class MissingBlobsError extends NsLlmError<"not_in_store"> {
  readonly missing: ManifestArtifact[];

  constructor(manifestName: string, missing: ManifestArtifact[]) {
    super("not_in_store", `${manifestName}: not in the store: ${missing.map((a) => `${a.path} (sha256 ${shortDigest(a.sha256)}…)`).join(", ")}`, {
      hint: "pull the manifest's artifacts (ns-llm models pull)",
    });
    this.missing = missing;
  }
}
