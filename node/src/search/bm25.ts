/**
 * Lexical ranking: MiniSearch's inverted index scored with plain BM25 (k1 = 1.2, b = 0.75 and
 * MiniSearch's BM25+ term `d` set to 0), English stop words dropped.
 */
import MiniSearch from "minisearch";
import type { SearchDocument } from "./types.ts";

const STOP_WORDS = new Set(
  ("a an and are as at be but by can do does for from has have how i if in into is it its me my no not of on or " +
    "so that the their then there these this to was we what when where which who why will with you your")
    .split(" "),
);

export type Bm25Hit = { id: string; score: number };

export type Bm25Index = { search(query: string, k: number): Bm25Hit[] };

/** Indexes `docs` (title and text) for BM25 ranking. */
export function createBm25Index(docs: readonly SearchDocument[]): Bm25Index {
  const index = new MiniSearch<SearchDocument>({
    fields: ["title", "text"],
    storeFields: [],
    processTerm: (term) => {
      const t = term.toLowerCase();
      return t.length < 2 || STOP_WORDS.has(t) ? null : t;
    },
    searchOptions: { bm25: { k: 1.2, b: 0.75, d: 0 }, boost: { title: 2 }, combineWith: "OR" },
  });
  index.addAll(docs.map((d) => ({ ...d, title: d.title ?? "" })));
  return {
    search(query, k) {
      return index
        .search(query)
        .slice(0, k)
        .map((r) => ({ id: String(r.id), score: r.score }));
    },
  };
}
