/**
 * The search index of the node and the gateway: BM25 over the documents, plus cosine similarity of
 * embeddings when an embedding function is given and works. Both scores are brought to [0, 1]
 * (BM25 divided by the best BM25 score of the query) and mixed: score = w * lexical + (1 - w) *
 * semantic. When embeddings are unavailable (model not loaded, engine failing) the index answers
 * from BM25 alone, so search keeps working while the node is degraded.
 *
 * Image documents (an `image` and its caption as `text`) are embedded by the vision role, whose
 * vectors share the text model's space: a text query finds them by meaning (and their caption by
 * BM25), and `searchByImage` finds texts and images near an image. Without a paired vision model
 * they are found by their caption alone.
 */
import { createBm25Index } from "./bm25.ts";
import type { EmbedFunction, EmbedImagesFunction, SearchDocument, SearchIndex, SearchResult } from "./types.ts";

export type CreateSearchIndexOptions = {
  /** Embeds texts; absent or failing means BM25 only. */
  embed?: EmbedFunction;
  /**
   * Names the embedding model in use, or undefined when none is ready (then BM25 only, without
   * calling `embed`). The document vectors are recomputed when it changes (a governed swap).
   */
  embedModel?: () => string | undefined;
  /** Weight of the lexical score in the hybrid score (0..1). Default 0.5. */
  lexicalWeight?: number;
  /** Embeds images (image documents, image queries); absent or failing means captions only. */
  embedImages?: EmbedImagesFunction;
  /** Names the vision model in use when it shares `embedModel`'s space, else undefined. */
  imageModel?: () => string | undefined;
  /** Called when embedding fails; the query is still answered by BM25. */
  onEmbedError?: (error: unknown) => void;
};

export type CreateSearchIndexReturnType = SearchIndex;

/** Builds an index over `docs` (ids must be unique). */
export function createSearchIndex(
  docs: readonly SearchDocument[],
  options: CreateSearchIndexOptions = {},
): CreateSearchIndexReturnType {
  const ids = new Set<string>();
  for (const d of docs) {
    if (ids.has(d.id)) throw new Error(`search: duplicate document id "${d.id}"`);
    ids.add(d.id);
  }
  const byId = new Map(docs.map((d) => [d.id, d]));
  const bm25 = createBm25Index(docs);
  const weight = options.lexicalWeight ?? 0.5;
  // Document vectors for one embedding model, computed on first use (shared by concurrent queries).
  let vectors: { model: string; promise: Promise<Float32Array[]> } | undefined;

  const imageModel = () => options.imageModel?.();

  function documentVectors(embed: EmbedFunction, model: string): Promise<Float32Array[]> {
    const vision = imageModel();
    const key = `${model}|${vision ?? ""}`;
    if (vectors?.model !== key) {
      const promise = embedDocuments(embed, vision !== undefined ? options.embedImages : undefined);
      vectors = { model: key, promise };
      promise.catch(() => {
        if (vectors?.promise === promise) vectors = undefined; // retry on the next query
      });
    }
    return vectors.promise;
  }

  /** Texts by the text model; images by the vision model, or (none paired) a zero vector: no semantic score. */
  async function embedDocuments(embed: EmbedFunction, embedImages: EmbedImagesFunction | undefined): Promise<Float32Array[]> {
    const textual = docs.filter((d) => d.image === undefined);
    const pictures = docs.filter((d) => d.image !== undefined);
    const [textVectors, imageVectors] = await Promise.all([
      embedInBatches(embed, textual.map((d) => (d.title ? `${d.title}\n${d.text}` : d.text))),
      embedImages ? embedInBatches(embedImages, pictures.map((d) => d.image!), 8) : Promise.resolve([]),
    ]);
    const byId = new Map<string, Float32Array>();
    textual.forEach((d, i) => byId.set(d.id, textVectors[i]!));
    pictures.forEach((d, i) => byId.set(d.id, imageVectors[i] ?? new Float32Array(0)));
    return docs.map((d) => byId.get(d.id)!);
  }

  async function semanticScores(query: string): Promise<Float32Array | undefined> {
    const embed = options.embed;
    const model = embed ? (options.embedModel ? options.embedModel() : "default") : undefined;
    if (!embed || model === undefined || docs.length === 0) return undefined;
    try {
      const [docVectors, [q]] = await Promise.all([documentVectors(embed, model), embed([query])]);
      const scores = new Float32Array(docs.length);
      for (let i = 0; i < docs.length; i++) scores[i] = Math.max(0, dot(q!, docVectors[i]!));
      return scores;
    } catch (error) {
      options.onEmbedError?.(error);
      return undefined;
    }
  }

  function toResult(d: SearchDocument, score: number): SearchResult {
    const result: SearchResult = { id: d.id, text: d.text, score };
    if (d.title !== undefined) result.title = d.title;
    if (d.row !== undefined) result.row = d.row;
    if (d.image !== undefined) result.kind = "image";
    return result;
  }

  return {
    get size() {
      return docs.length;
    },
    async search(query, k = 5) {
      if (k <= 0 || docs.length === 0 || query.trim() === "") return [];
      const lexical = bm25.search(query, docs.length);
      const best = lexical[0]?.score ?? 0;
      const semantic = await semanticScores(query);
      const scores = new Map<string, number>();
      if (!semantic) {
        for (const hit of lexical) scores.set(hit.id, best > 0 ? hit.score / best : 0);
      } else {
        const lexicalById = new Map(lexical.map((h) => [h.id, best > 0 ? h.score / best : 0]));
        docs.forEach((d, i) => scores.set(d.id, weight * (lexicalById.get(d.id) ?? 0) + (1 - weight) * semantic[i]!));
      }
      const results: SearchResult[] = [];
      for (const [id, score] of scores) {
        if (score <= 0) continue;
        const d = byId.get(id)!;
        results.push(toResult(d, score));
      }
      return results.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, k);
    },
    async searchByImage(image, k = 5) {
      const embed = options.embed;
      const model = embed ? (options.embedModel ? options.embedModel() : "default") : undefined;
      const vision = imageModel();
      if (k <= 0 || docs.length === 0 || !embed || model === undefined || vision === undefined || !options.embedImages) return [];
      const [docVectors, [q]] = await Promise.all([documentVectors(embed, model), options.embedImages([image])]);
      const results: SearchResult[] = [];
      docs.forEach((d, i) => {
        const score = dot(q!, docVectors[i]!);
        if (score > 0) results.push(toResult(d, Math.min(1, score)));
      });
      return results.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, k);
    },
  };
}

async function embedInBatches(embed: EmbedFunction, texts: string[], batch = 32): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += batch) out.push(...(await embed(texts.slice(i, i + batch))));
  return out;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  // An image document without a vision model has an empty vector: no semantic score.
  for (let i = 0; i < a.length; i++) s += a[i]! * (b[i] ?? 0);
  return s;
}
