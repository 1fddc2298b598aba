/** Search over a local corpus (BM25, hybrid with embeddings) and the node's degraded answers. */
export { createSearchIndex } from "./hybrid-index.ts";
export type { CreateSearchIndexOptions, CreateSearchIndexReturnType } from "./hybrid-index.ts";
export { defaultCorpusPaths, loadDocuments, markdownSections } from "./documents.ts";
export { answerFromSearch } from "./answer.ts";
export type { EmbedFunction, EmbedImagesFunction, SearchDocument, SearchIndex, SearchResult, TableRow } from "./types.ts";
