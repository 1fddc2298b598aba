/** A document of the local search corpus: `id` names where it came from (file#section). */
export type SearchDocument = { id: string; text: string; title?: string };

/** One hit: `score` is in [0, 1] (lexical and, when embeddings are on, semantic relevance). */
export type SearchResult = { id: string; text: string; score: number; title?: string };

/** Turns texts into L2-normalised vectors (the embedding engine, or a gateway's client). */
export type EmbedFunction = (texts: string[]) => Promise<Float32Array[]>;

export type SearchIndex = {
  /** Documents indexed. */
  readonly size: number;
  /** The `k` best documents for `query`, best first; empty when nothing matches. */
  search(query: string, k?: number): Promise<SearchResult[]>;
};
