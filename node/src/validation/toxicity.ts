/**
 * Toxicity in [0, 1] of one unit of an answer (a sentence or window), from two sources:
 *
 * - the lexicon floor (obscenity's English data set with its recommended transformers, which also
 *   catch spaced, repeated and look-alike spellings): 1 when the unit contains a listed term, else
 *   0. It needs no model, so every node scores every answer from its first start;
 * - the governed classifier (the adopted `moderation` model), when one is loaded: its probability
 *   of "toxic" (classifier.ts).
 *
 * A unit's toxicity is the higher of the two: the lexicon stays a floor under the classifier.
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
  const floor = units.map(lexiconScore);
  if (!classifier || units.length === 0) return { scores: floor, scorer: classifier ? classifierScorer(classifier) : { kind: "lexicon", model: "obscenity" } };
  const model = await classifier.engine.score(units);
  return { scores: floor.map((f, i) => Math.max(f, model[i]!)), scorer: classifierScorer(classifier) };
}

function classifierScorer(c: { engine: ToxicityClassifier; manifest: string | null }): ToxicityScorer {
  return { kind: "classifier", model: c.engine.info.name, manifest: c.manifest };
}
