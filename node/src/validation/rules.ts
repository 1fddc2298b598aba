/**
 * The governed validation policy, compiled once per parameters manifest: the thresholds, the
 * answer length bounds, and the contributor rules that apply to a prompt (a rule's `when` is a
 * regular expression on the prompt). Regular expressions are RE2 (re2js, linear time); phrases
 * are matched case-insensitively on the original text (fold.ts). A manifest whose rules do not
 * compile never gets here: it is refused when validated (generated/protocol/validation.ts).
 */
import { compileRegex, type ManifestParameters, type ValidationRule } from "@ns-llm/contracts";
import type { RE2JS } from "re2js";
import { firstMatch, fold, foldPattern, type Folded } from "./fold.ts";

type Compiled =
  | { id: string; kind: "regex"; re: RE2JS; when: RE2JS | undefined }
  | { id: string; kind: "forbid" | "require"; phrase: string; when: RE2JS | undefined };

export type Policy = {
  maxToxicity: number | null;
  minCoherence: number | null;
  minChars: number | null;
  maxChars: number | null;
  denyPatterns: string[];
  rules: Compiled[];
};

const cache = new WeakMap<object, Policy>();

/** The policy of `parameters` (compiled once per parameters object in force). */
export function policyOf(parameters: Readonly<ManifestParameters>): Policy {
  const hit = cache.get(parameters);
  if (hit) return hit;
  const v = parameters.validation ?? {};
  const policy: Policy = {
    maxToxicity: v.maxToxicity ?? null,
    minCoherence: v.minCoherence ?? null,
    minChars: v.minChars ?? null,
    maxChars: v.maxChars ?? null,
    denyPatterns: v.denyPatterns ?? [],
    rules: (v.rules ?? []).flatMap((rule) => compileRule(rule)),
  };
  cache.set(parameters, policy);
  return policy;
}

function compileRule(rule: ValidationRule): Compiled[] {
  // Checked at manifest validation; a rule that still fails here (an older manifest) is left out, not fatal.
  try {
    const when = rule.when === undefined ? undefined : compileRegex(rule.when, "i");
    if (rule.kind === "regex") return [{ id: rule.id, kind: "regex", re: compileRegex(rule.pattern, rule.flags), when }];
    return [{ id: rule.id, kind: rule.kind, phrase: foldPattern(rule.phrase), when }];
  } catch {
    return [];
  }
}

/** The rules that apply to an answer to `prompt`. */
export function rulesFor(policy: Policy, prompt: string): Compiled[] {
  return policy.rules.filter((r) => r.when === undefined || r.when.test(prompt));
}

/** True when a rule can refuse an answer before it ends (so streamed text must wait for its check). */
export function refusesMidStream(policy: Policy, rules: readonly Compiled[]): boolean {
  return policy.maxToxicity !== null || policy.minCoherence !== null || policy.maxChars !== null || rules.some((r) => r.kind !== "require");
}

/** A rule (regex or forbidden phrase) that `text` breaks, by id; required phrases are checked by `missingPhrase`. */
export function brokenRule(text: string, rules: readonly Compiled[], folded: Folded = fold(text)): string | undefined {
  for (const rule of rules) {
    if (rule.kind === "regex" && rule.re.test(text)) return rule.id;
    if (rule.kind === "forbid" && firstMatch(folded, [rule.phrase])) return rule.id;
  }
  return undefined;
}

/** The first required phrase `text` lacks, by id. */
export function missingPhrase(text: string, rules: readonly Compiled[]): string | undefined {
  const folded = fold(text);
  for (const rule of rules) if (rule.kind === "require" && !firstMatch(folded, [rule.phrase])) return rule.id;
  return undefined;
}
