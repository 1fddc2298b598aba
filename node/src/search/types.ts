/** Where a row of a table document came from: its document, its number (from 1), its fields. */
export type TableRow = { document: string; row: number; fields: Record<string, string> };

/**
 * A document of the local search corpus: `id` names where it came from (file#section, or
 * file#row-n for a row of a table, which also carries `row` so an answer can cite it).
 */
export type SearchDocument = {
  id: string;
  text: string;
  title?: string;
  row?: TableRow;
  /** An image document: the image (data URL or base64), embedded by the vision role; `text` is its caption. */
  image?: string;
};

/** One hit: `score` is in [0, 1] (lexical and, when embeddings are on, semantic relevance). */
export type SearchResult = {
  id: string;
  text: string;
  score: number;
  title?: string;
  row?: TableRow;
  kind?: "image";
  /** Where a passage not of the local corpus came from: the contributor plugin's package name. */
  source?: string;
};

/** Turns texts into L2-normalised vectors (the embedding engine, or a gateway's client). */
export type EmbedFunction = (texts: string[]) => Promise<Float32Array[]>;
/** Turns images (data URLs or base64) into L2-normalised vectors in the text vectors' space (the vision role). */
export type EmbedImagesFunction = (images: string[]) => Promise<Float32Array[]>;

export type SearchIndex = {
  /** Documents indexed. */
  readonly size: number;
  /** The `k` best documents for `query`, best first; empty when nothing matches. */
  search(query: string, k?: number): Promise<SearchResult[]>;
  /** The `k` documents (texts and images) nearest to an image, by vectors alone; empty without a paired vision model. */
  searchByImage(image: string, k?: number): Promise<SearchResult[]>;
};
