/**
 * One embedding request, from the node's side: checked against the governed input length, through
 * the micro-batcher (admission control, one engine lease per request; texts of requests that
 * arrive together go to the engine together), counted, and recorded in the audit log before the
 * vectors are sent.
 */
import { textsDigest } from "@ns-llm/contracts";
import type { EmbeddingEngine, LoadedManifest, ModelSlot } from "../inference/index.ts";
import type { NodeMetrics } from "../metrics.ts";
import { sha256OfVectors, type AnswerRecorder } from "./answer-record.ts";
import type { EmbeddingBatcher } from "./embedding-batcher.ts";
import { countRejection, InvalidRequestError, UnavailableError } from "./errors.ts";

export type EmbeddingRequest = {
  texts: string[];
  /** The route that asked, for the audit entry. */
  route: string;
  /** More parameters for the audit entry (e.g. the encoding asked for). */
  parameters?: Record<string, unknown>;
  /** The dimensions the caller expects; another model's vectors are refused, not sent. */
  dimensions?: number;
  /** Fires when the client goes away: the request leaves the queue. */
  signal?: AbortSignal;
};

export type EmbeddingOutcome = {
  vectors: Float32Array[];
  model: string;
  dimensions: number;
  manifest: LoadedManifest;
  auditSeq: number | null;
};

export type EmbeddingService = { embed(request: EmbeddingRequest): Promise<EmbeddingOutcome> };

export type EmbeddingServiceDependencies = {
  slot: ModelSlot<EmbeddingEngine>;
  embedder: EmbeddingBatcher;
  metrics: NodeMetrics;
  recorder: AnswerRecorder;
  /** The longest text accepted, in characters (governed `limits.maxInputChars`), read per request. */
  maxInputChars?: () => number;
};

export function createEmbeddingService(deps: EmbeddingServiceDependencies): EmbeddingService {
  const { slot, embedder, metrics, recorder } = deps;
  async function embed({ texts, route, parameters = {}, dimensions, signal }: EmbeddingRequest): Promise<EmbeddingOutcome> {
      const began = performance.now();
      const maxChars = deps.maxInputChars?.() ?? Number.POSITIVE_INFINITY;
      const long = texts.findIndex((t) => t.length > maxChars);
      if (long >= 0) throw new InvalidRequestError("invalid_request", `input ${long} has ${texts[long]!.length} characters; this node accepts at most ${maxChars}`);
      if (!slot.ready) throw new UnavailableError("embedding_unavailable", "no embedding model is loaded");
      const r = await embedder.embed(texts, signal ? { signal } : {});
      metrics.embeddings.inc(texts.length);
      if (dimensions !== undefined && dimensions !== r.dimensions) {
        throw new InvalidRequestError("invalid_request", `dimensions: the model gives ${r.dimensions}-dimensional vectors`);
      }
      const auditSeq = await recorder.record({
        route,
        model: r.model,
        manifest: r.manifest.cid ?? null,
        source: "embedding",
        parameters: { inputs: texts.length, ...parameters },
        inputSha256: textsDigest(texts),
        outputSha256: sha256OfVectors(r.vectors),
        ms: performance.now() - began,
        text: { input: texts },
      });
      return { ...r, auditSeq };
  }
  return {
    async embed(request) {
      try {
        return await embed(request);
      } catch (error) {
        countRejection(metrics, error);
        throw error;
      }
    },
  };
}
