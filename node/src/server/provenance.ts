/**
 * Provenance of every answer: the model and manifest (IPFS CID) that produced it and the sequence
 * number of its audit log entry. The entry holds hashes of the input and the output, not the text.
 */
import { createHash } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { NodeMetrics } from "./metrics.ts";

export type AnswerSource = "llm" | "search" | "embedding";

type Hex = `0x${string}`;

/**
 * What the API writes to the audit log for each request it answers (the audit log's "request"
 * entry: it adds seq, prev and the hash chain).
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
  /** sha256 of the input: the prompt as UTF-8, or the JSON of the messages / texts. */
  inputSha256: Hex;
  /** sha256 of the output: the text as UTF-8, or the vectors as little-endian float32. */
  outputSha256: Hex;
  status: number;
  ms: number;
};

/** Where the API appends its entries (the audit log's `append`). */
export type AuditSink = { append(entry: AuditRequestEntry): Promise<{ seq: number }> };

export type Provenance = { model: string; manifest: string | null; auditSeq: number | null };

export function sha256(data: string | Uint8Array): Hex {
  return `0x${createHash("sha256").update(data).digest("hex")}`;
}

/** sha256 of vectors as little-endian float32, concatenated. */
export function sha256OfVectors(vectors: readonly Float32Array[]): Hex {
  const hash = createHash("sha256");
  for (const v of vectors) hash.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return `0x${hash.digest("hex")}`;
}

export type RecordAnswerParameters = Omit<AuditRequestEntry, "type" | "time" | "manifest" | "status"> & {
  manifest: string | null;
  audit: AuditSink | undefined;
  log: FastifyBaseLogger;
  metrics: NodeMetrics;
};

/**
 * Appends the answer's entry and returns its seq; null without an audit log. A failing log does
 * not fail the answer (it is logged and counted in ns_llm_audit_errors_total).
 */
export async function recordAnswer({ audit, log, metrics, manifest, ...entry }: RecordAnswerParameters): Promise<number | null> {
  if (!audit) return null;
  try {
    const { seq } = await audit.append({
      type: "request",
      time: new Date().toISOString(),
      ...entry,
      ...(manifest ? { manifest } : {}),
      status: 200,
      ms: Math.round(entry.ms),
    });
    return seq;
  } catch (error) {
    metrics.auditErrors.inc();
    log.error({ err: error }, "audit append failed");
    return null;
  }
}

/** The provenance headers; absent values are left out. */
export function provenanceHeaders(p: Partial<Provenance> & { source?: AnswerSource }): Record<string, string> {
  const h: Record<string, string> = {};
  if (p.model) h["x-ns-llm-model"] = p.model;
  if (p.manifest) h["x-ns-llm-manifest"] = p.manifest;
  if (p.auditSeq !== undefined && p.auditSeq !== null) h["x-ns-llm-audit-seq"] = String(p.auditSeq);
  if (p.source && p.source !== "embedding") h["x-ns-llm-source"] = p.source;
  return h;
}
