/**
 * Coherence in [0, 1] of an answer, from signals the node has without another model:
 *
 *   repetition r = 1 - distinct word trigrams / word trigrams   (0 below 4 words)
 *   relevance  s = max(0, cosine(embed(prompt), embed(answer)))  under the governed embedding model
 *   coherence    = (1 - r) * (0.5 + 0.5 * s)                     with an embedding model
 *                = 1 - r                                          without one (relevance null)
 *
 * While an answer streams, each unit (once the answer has 12 words) is judged on repetition alone,
 * relevance taken as 1 (its best case): only degeneration stops a stream mid-way. At the end the
 * whole answer is embedded (the prompt was, as the answer began) and the full formula judges the answer
 * (a refusal then withholds its last unit). An embedding per unit would cost more than the rest.
 *
 * Words are lower-cased runs of letters and digits (Unicode). A degenerate loop ("the the the",
 * or one sentence over and over) drives r to 1 and coherence to 0 whatever the topic; an answer
 * unrelated to its prompt keeps at most half. The generation model's token probabilities are not
 * used: llama.cpp's streaming API here does not expose them without a second pass.
 */

const WORD = /[\p{L}\p{N}]+/gu;

export function repetition(text: string): number {
  const words = text.toLowerCase().match(WORD) ?? [];
  if (words.length < 4) return 0;
  const trigrams = new Set<string>();
  const total = words.length - 2;
  for (let i = 0; i < total; i++) trigrams.add(`${words[i]}\u0000${words[i + 1]}\u0000${words[i + 2]}`);
  return 1 - trigrams.size / total;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export type CoherenceScore = { coherence: number; repetition: number; relevance: number | null };

export function coherenceOf(repetitionScore: number, relevance: number | null): CoherenceScore {
  const kept = 1 - repetitionScore;
  return {
    coherence: relevance === null ? kept : kept * (0.5 + 0.5 * relevance),
    repetition: repetitionScore,
    relevance,
  };
}

/** Relevance of `answer` to `prompt` under `embed` (null when no embedding model serves or it fails). */
export async function relevance(
  prompt: string,
  answer: string,
  embed: ((texts: string[]) => Promise<Float32Array[] | undefined>) | undefined,
): Promise<number | null> {
  if (!embed || prompt.trim() === "" || answer.trim() === "") return null;
  try {
    const vectors = await embed([prompt, answer]);
    if (!vectors || vectors.length !== 2) return null;
    return Math.max(0, cosine(vectors[0]!, vectors[1]!));
  } catch {
    return null;
  }
}
