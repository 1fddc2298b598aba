/**
 * Toxicity in [0, 1] of one unit of an answer (a sentence or window), from one of two sources:
 *
 * - the governed classifier (the adopted `moderation` model), when one is loaded: its probability
 *   of "toxic" (classifier.ts);
 * - until one is adopted, the lexicon floor: obscenity's English data set with its recommended
 *   transformers (which also catch spaced, repeated and look-alike spellings), 1 when the unit
 *   contains a listed term, else 0. It needs no model, so every node scores every answer from its
 *   first start.
 *
 * The lexicon is not run beside an adopted classifier: the voters chose the classifier, and the
 * lexicon would cost more than the demo classifier itself (about 0.1 ms per 100 characters).
 */
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from "obscenity";
import type { ToxicityScorer } from "@ns-llm/contracts";
import type { ToxicityClassifier } from "./classifier.ts";

const lexicon = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });

/** 1 when `text` holds a term of the lexicon, else 0. */
export function lexiconScore(text: string): number {
  return lexicon.hasMatch(text) ? 1 : 0;
}

export type ToxicityScores = { scores: number[]; scorer: ToxicityScorer };

/** Scores `units`; `classifier` is the loaded moderation model (with its manifest CID), if any. */
export async function scoreToxicity(
  units: readonly string[],
  classifier: { engine: ToxicityClassifier; manifest: string | null } | undefined,
): Promise<ToxicityScores> {
  if (!classifier) return { scores: units.map(lexiconScore), scorer: { kind: "lexicon", model: "obscenity" } };
  return { scores: units.length === 0 ? [] : await classifier.engine.score(units), scorer: classifierScorer(classifier) };
}

function classifierScorer(c: { engine: ToxicityClassifier; manifest: string | null }): ToxicityScorer {
  return { kind: "classifier", model: c.engine.info.name, manifest: c.manifest };
}
