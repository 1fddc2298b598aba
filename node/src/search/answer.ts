/**
 * The degraded answer: when no generation model can answer, the node replies with the passages
 * of its local corpus that best match the question, marked `source: "search"`.
 */
import type { SearchResult } from "./types.ts";

const MAX_PASSAGE_CHARS = 600;

/** A plain-text answer quoting `results` (best first), or a short notice when there are none. */
export function answerFromSearch(results: readonly SearchResult[]): string {
  if (results.length === 0) {
    return "No generation model is available right now, and the local documents have nothing on this question.";
  }
  const passages = results.map((r) => {
    const text = r.text.length > MAX_PASSAGE_CHARS ? `${r.text.slice(0, MAX_PASSAGE_CHARS).trimEnd()}…` : r.text;
    return `[${r.title ?? r.id}] ${text}`;
  });
  // A passage from a contributor plugin's source carries `source` (and its plugin in its label).
  const from = results.some((r) => r.source) ? "the local documents and the node's plugin sources" : "the local documents";
  return `No generation model is available right now; from ${from}:\n\n${passages.join("\n\n")}`;
}
