/**
 * Answer validation (`parameters.validation`): the governed rules contributors write without code,
 * the verdict every answer carries (in its audit entry, `/generate`'s summary and OpenAI's
 * `ns_llm`), and the one check that a rule compiles, shared by the node (before adopting or
 * publishing a manifest) and the dApp (before proposing one).
 *
 * Regular expressions run on RE2 semantics (re2js): matching time is linear in the text, whatever
 * the pattern, so a governed rule can never make an answer slow. Look-around and back-references,
 * which need backtracking, do not compile and are refused with RE2's reason.
 */
import { RE2JS } from "re2js";
import type { PluginVerdict } from "./plugins.ts";

/** A contributor rule. `when` (a regular expression on the prompt) limits it to a topic. */
export type ValidationRule =
  /** The answer must not match `pattern`. */
  | { id: string; kind: "regex"; pattern: string; flags?: string; when?: string }
  /** The answer must not contain `phrase` (case-insensitive, on the original text). */
  | { id: string; kind: "forbid"; phrase: string; when?: string }
  /** The answer must contain `phrase` by its end (case-insensitive). */
  | { id: string; kind: "require"; phrase: string; when?: string };

/** The layers an answer passes, in order; the first that refuses is named in the verdict. */
export const VALIDATION_LAYERS = ["deny_pattern", "rule", "length", "toxicity", "coherence", "plugin"] as const;
export type ValidationLayer = (typeof VALIDATION_LAYERS)[number];

/** What scored an answer's toxicity: the adopted moderation model (and the lexicon floor), or the lexicon alone. */
export type ToxicityScorer = { kind: "classifier"; model: string; manifest: string | null } | { kind: "lexicon"; model: "obscenity" };

/** The verdict on one answer, with its scores (recorded in its audit entry). */
export type ValidationVerdict = {
  verdict: "pass" | "refused";
  /** The layer that refused it, and which rule or threshold. */
  layer?: ValidationLayer;
  detail?: string;
  /** Highest toxicity of its units (sentences or windows), in [0, 1]. */
  toxicity: number;
  /** Coherence of the whole answer sent, in [0, 1]; null for an empty answer. */
  coherence: number | null;
  /** The parts of coherence: repetition of word trigrams, and prompt-answer similarity (null without an embedding model). */
  repetition: number | null;
  relevance: number | null;
  scorer: ToxicityScorer;
  /** The thresholds in force for this answer. */
  maxToxicity: number | null;
  minCoherence: number | null;
  /** The plugins' verdicts (issue 21), when plugins with an `answer` hook run; a plugin's refusal names layer "plugin". */
  plugins?: PluginVerdict[];
};

/** `/health`'s `validation`: what scores toxicity now, and the thresholds in force. */
export type ValidationHealth = {
  toxicity: ToxicityScorer & { error?: string };
  maxToxicity: number | null;
  minCoherence: number | null;
  rules: number;
  denyPatterns: number;
};

/** Bounds on rules (also in manifests/schema.json): their number, their size, their compiled size. */
export const RULE_LIMITS = { maxRules: 64, maxPatternChars: 1024, maxPhraseChars: 256, maxProgramSize: 20_000 } as const;

/** RE2JS flags from a rule's `flags` string: i (case-insensitive), m (multi-line), s (dot matches newline). */
export function regexFlags(flags: string | undefined): number {
  let out = 0;
  for (const f of flags ?? "") {
    if (f === "i") out |= RE2JS.CASE_INSENSITIVE;
    else if (f === "m") out |= RE2JS.MULTILINE;
    else if (f === "s") out |= RE2JS.DOTALL;
    else throw new Error(`unknown flag "${f}" (use i, m or s)`);
  }
  return out;
}

/**
 * Compiles a governed regular expression, or throws with the reason: not RE2 syntax, an unknown
 * flag, or a compiled program above `RULE_LIMITS.maxProgramSize` instructions (a pattern such as
 * `a{1000}{1000}` is short but huge once compiled).
 */
export function compileRegex(pattern: string, flags?: string): RE2JS {
  if (pattern.length > RULE_LIMITS.maxPatternChars) throw new Error(`is ${pattern.length} characters, more than ${RULE_LIMITS.maxPatternChars}`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, regexFlags(flags));
  } catch (error) {
    throw new Error(`does not compile: ${(error as Error).message}`);
  }
  const size = re.programSize();
  if (size > RULE_LIMITS.maxProgramSize) throw new Error(`compiles to ${size} instructions, more than ${RULE_LIMITS.maxProgramSize}`);
  return re;
}

/** One problem of a parameters manifest's validation rules (JSON pointer + message). */
export type RuleProblem = { pointer: string; message: string };

/**
 * Every problem of `validation` that JSON Schema cannot see: a regular expression (a rule's
 * `pattern` or `when`) that does not compile under RE2 or compiles too large, duplicate rule ids,
 * and answer length bounds the wrong way round. Runs on the raw parsed value.
 */
export function validationRuleProblems(value: unknown): RuleProblem[] {
  const validation = (value as { parameters?: { validation?: unknown } } | null)?.parameters?.validation as
    | { rules?: unknown; minChars?: unknown; maxChars?: unknown }
    | undefined;
  if (!validation || typeof validation !== "object") return [];
  const problems: RuleProblem[] = [];
  const base = "/parameters/validation";
  if (typeof validation.minChars === "number" && typeof validation.maxChars === "number" && validation.minChars > validation.maxChars) {
    problems.push({ pointer: `${base}/minChars`, message: `is more than maxChars (${validation.maxChars})` });
  }
  if (!Array.isArray(validation.rules)) return problems;
  const ids = new Map<string, number>();
  validation.rules.forEach((rule: unknown, i) => {
    const r = (rule ?? {}) as Record<string, unknown>;
    const at = `${base}/rules/${i}`;
    if (typeof r.id === "string") {
      const first = ids.get(r.id);
      if (first !== undefined) problems.push({ pointer: `${at}/id`, message: `duplicates ${base}/rules/${first}/id` });
      else ids.set(r.id, i);
    }
    if (r.kind === "regex" && typeof r.pattern === "string") {
      try {
        compileRegex(r.pattern, typeof r.flags === "string" ? r.flags : undefined);
      } catch (error) {
        problems.push({ pointer: `${at}/pattern`, message: (error as Error).message });
      }
    }
    if (typeof r.when === "string") {
      try {
        compileRegex(r.when, "i");
      } catch (error) {
        problems.push({ pointer: `${at}/when`, message: (error as Error).message });
      }
    }
  });
  return problems;
}
