/**
 * Generation that reports each sampled token's log-probability and the most likely alternatives
 * (OpenAI's and Ollama's `logprobs` / `top_logprobs`). LlamaChat and LlamaCompletion do not expose
 * probabilities, so this runs its own token loop on the sequence with node-llama-cpp's
 * `evaluateWithMetadata`: the prompt (as LlamaChat or LlamaCompletion would render it) is
 * evaluated, then tokens are sampled with the request's options until an end-of-generation
 * token, `maxTokens`, or an abort (a stop string aborts too).
 *
 * The probabilities are those the sampler drew from: after temperature, top-k and top-p. A token
 * outside top-k / top-p has probability 0 there and is never listed among the alternatives.
 */
import { LlamaGrammarEvaluationState, type LlamaContextSequence, type LlamaGrammar, type LlamaModel, type Token } from "node-llama-cpp";
import type { TokenLogprob } from "../types.ts";
import type { ResolvedSampling } from "./sampling.ts";

export type LogprobRunOptions = {
  model: LlamaModel;
  sequence: LlamaContextSequence;
  /** The whole prompt, as tokens (BOS and template included). */
  input: Token[];
  sampling: ResolvedSampling;
  grammar: LlamaGrammar | undefined;
  /** Alternatives to report per token (0: only the sampled token). */
  top: number;
  signal: AbortSignal;
  onTextChunk: (text: string) => void;
  onLogprob: (entry: TokenLogprob) => void;
};

/** The JSON-schema grammar ends an answer with four newlines (its stop trigger); only there may a newline appear. */
const GRAMMAR_END = "\n\n\n\n";

export async function generateWithLogprobs(o: LogprobRunOptions): Promise<{ stopReason: string }> {
  const { model, sequence, input, sampling, signal } = o;
  // Keep what the sequence holds of the prompt (at least the last token is evaluated again, to sample from).
  let keep = 0;
  const held = sequence.contextTokens;
  while (keep < held.length && keep < input.length - 1 && held[keep] === input[keep]) keep++;
  if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);

  const endsOnNewlines = o.grammar !== undefined && o.grammar.stopGenerationTriggers.length > 0;
  const grammarEvaluationState = o.grammar ? new LlamaGrammarEvaluationState({ model, grammar: o.grammar }) : undefined;
  const generated: Token[] = [];
  const repeat = sampling.repeatPenalty === false ? undefined : sampling.repeatPenalty;
  let emittedLength = 0;
  let newlines = "";
  const iterator = sequence.evaluateWithMetadata(
    input.slice(keep),
    { probabilities: true },
    {
      temperature: sampling.temperature,
      topK: sampling.topK,
      topP: sampling.topP,
      ...(sampling.seed !== undefined ? { seed: sampling.seed } : {}),
      ...(repeat ? { repeatPenalty: { penalty: repeat.penalty, punishTokens: () => generated.slice(-(repeat.lastTokens ?? 64)) } } : {}),
      ...(grammarEvaluationState ? { grammarEvaluationState } : {}),
    },
  );
  try {
    for await (const { token, probabilities } of iterator) {
      if (signal.aborted) return { stopReason: "abort" };
      generated.push(token);
      // Each token's text as it reads after the ones before it (a SentencePiece word start is a space).
      const before = generated.slice(-9, -1);
      const top = [...probabilities.entries()].slice(0, o.top).map(([t, p]) => entry(model, t, p, before));
      o.onLogprob({ ...entry(model, token, probabilities.get(token) ?? 0, before), top });
      // Text as the detokenized whole, so that characters split across tokens come out whole.
      const text = model.detokenize(generated);
      const safeEnd = text.endsWith("\uFFFD") ? text.lastIndexOf("\uFFFD") : text.length;
      let fresh = text.slice(emittedLength, safeEnd);
      emittedLength = Math.max(emittedLength, safeEnd);
      if (endsOnNewlines) {
        newlines += fresh.match(/\n*$/)![0];
        fresh = fresh.replace(/\n+$/, "");
        if (fresh !== "") newlines = "";
        if (newlines.length >= GRAMMAR_END.length) return { stopReason: "eogToken" };
      }
      if (fresh !== "") o.onTextChunk(fresh);
      if (generated.length >= sampling.maxTokens) return { stopReason: "maxTokens" };
    }
    return { stopReason: "eogToken" };
  } finally {
    await iterator.return();
  }
}

/**
 * The entries whose tokens make up `text` (the answer as delivered): a stop string, a deny
 * pattern or the grammar's closing newlines can end it before the last tokens sampled.
 */
export function logprobsOfText(logprobs: readonly TokenLogprob[], text: string): TokenLogprob[] {
  const kept: TokenLogprob[] = [];
  let length = 0;
  for (const e of logprobs) {
    if (length >= text.length) break;
    kept.push(e);
    length += e.token.length;
  }
  return kept;
}

function entry(model: LlamaModel, token: Token, probability: number, before: Token[]): Omit<TokenLogprob, "top"> {
  const text = model.detokenize([token], false, before);
  return { token: text, logprob: probability > 0 ? Math.log(probability) : -9999, bytes: [...Buffer.from(text, "utf8")] };
}
