/** Embedding for the routes: through the micro-batcher, counted in the metrics. */
import type { EmbeddingBatchResult } from "../../inference/embedding-batcher.ts";
import type { RouteContext } from "../context.ts";
import { ApiError } from "../errors.ts";

export async function embedTexts(ctx: RouteContext, texts: string[]): Promise<EmbeddingBatchResult> {
  if (!ctx.embeddingSlot.ready) throw new ApiError(503, "embedding_unavailable", "no embedding model is loaded (see GET /health)");
  const r = await ctx.embedder.embed(texts);
  ctx.metrics.embeddings.inc(texts.length);
  return r;
}
