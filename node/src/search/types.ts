/** Where a row of a table document came from: its document, its number (from 1), its fields. */
export type TableRow = { document: string; row: number; fields: Record<string, string> };

/**
 * A document of the local search corpus: `id` names where it came from (file#section, or
 * file#row-n for a row of a table, which also carries `row` so an answer can cite it).
 */
export type SearchDocument = { id: string; text: string; title?: string; row?: TableRow };

/** One hit: `score` is in [0, 1] (lexical and, when embeddings are on, semantic relevance). */
export type SearchResult = { id: string; text: string; score: number; title?: string; row?: TableRow };

/** Turns texts into L2-normalised vectors (the embedding engine, or a gateway's client). */
export type EmbedFunction = (texts: string[]) => Promise<Float32Array[]>;

export type SearchIndex = {
  /** Documents indexed. */
  readonly size: number;
  /** The `k` best documents for `query`, best first; empty when nothing matches. */
  search(query: string, k?: number): Promise<SearchResult[]>;
};
