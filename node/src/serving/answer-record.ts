/**
 * Every answer is recorded in the audit log before it is sent: the model and manifest (IPFS CID)
 * that produced it, its parameters, and the hashes of its input and output (protocol's
 * `textDigest`/`chatDigest`/`textsDigest`), not the text. The entry's seq is the answer's
 * provenance.
 */
import { createHash } from "node:crypto";
import type { AnswerSource } from "@ns-llm/contracts";
import type { Hex } from "viem";
import { AuditUnavailableError } from "./errors.ts";

/**
 * What the serving layer writes to the audit log for each request it answers (the audit log's
 * "request" entry: it adds seq, prev and the hash chain).
 */
export type AuditRequestEntry = {
  type: "request";
  /** ISO 8601. */
  time: string;
  route: string;
  model: string;
  /** The manifest's CID; absent for a model loaded without one. */
  manifest?: string;
  source: AnswerSource;
  /** The request's parameters (sampling, counts), never its text; JSON values only. */
  parameters: Record<string, unknown>;
  /** sha256 of the input (see the protocol's digests). */
  inputSha256: Hex;
  /** sha256 of the output: the text as UTF-8, or the vectors as little-endian float32. */
  outputSha256: Hex;
  /** The prompt and answer themselves, only when the operator opted in (NS_LLM_AUDIT_RECORD_TEXT=1). */
  input?: unknown;
  output?: unknown;
  status: number;
  ms: number;
};

/** Where answers are recorded (the audit log's `append`). */
export type AuditSink = { append(entry: AuditRequestEntry): Promise<{ seq: number }> };

/** sha256 of vectors as little-endian float32, concatenated. */
export function sha256OfVectors(vectors: readonly Float32Array[]): Hex {
  const hash = createHash("sha256");
  for (const v of vectors) hash.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return `0x${hash.digest("hex")}`;
}

export type AnswerRecorder = {
  /**
   * Appends the answer's entry and returns its seq; null when the node keeps no audit log.
   * Throws AuditUnavailableError when the append fails: the answer must not be sent.
   * `text` is written into the entry only when the operator opted in (NS_LLM_AUDIT_RECORD_TEXT=1).
   */
  record(
    entry: Omit<AuditRequestEntry, "type" | "time" | "manifest" | "status"> & { manifest: string | null; text?: { input: unknown; output?: unknown } },
  ): Promise<number | null>;
  /** Why the last append failed, until one succeeds again (for /health); undefined when healthy. */
  failing(): string | undefined;
};

export type CreateAnswerRecorderParameters = {
  audit: AuditSink | undefined;
  /** Keep the prompt and answer text in each entry (NS_LLM_AUDIT_RECORD_TEXT=1). Default false. */
  recordText?: boolean;
  /** Counts and logs an append that failed (see ns_llm_audit_errors_total). */
  onError: (error: unknown) => void;
};

export function createAnswerRecorder({ audit, recordText = false, onError }: CreateAnswerRecorderParameters): AnswerRecorder {
  let failure: string | undefined;
  return {
    failing: () => failure,
    async record({ manifest, text, ...entry }) {
      if (!audit) return null;
      try {
        const { seq } = await audit.append({
          type: "request",
          time: new Date().toISOString(),
          ...entry,
          ...(manifest ? { manifest } : {}),
          ...(recordText && text ? { input: text.input, ...(text.output !== undefined ? { output: text.output } : {}) } : {}),
          status: 200,
          ms: Math.round(entry.ms),
        });
        failure = undefined;
        return seq;
      } catch (error) {
        failure = `audit log: appends fail (${(error as Error)?.message ?? String(error)}); answers are refused until one succeeds`;
        onError(error);
        throw new AuditUnavailableError(error);
      }
    },
  };
}
