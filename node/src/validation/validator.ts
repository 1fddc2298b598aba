/**
 * The answer gate: every answer (generated or from the search fallback) passes the layers in
 * order — deny patterns (serving/deny-filter.ts, before this gate), contributor rules (regex and
 * forbidden phrases, then required phrases at the end), length bounds, toxicity, coherence — and
 * gets a verdict with its scores.
 *
 * Streaming: when a layer could refuse mid-answer (a threshold, a rule or a bound is set), text is
 * released one unit at a time — a sentence (up to . ! ? … and the space after it, or a newline), or
 * a window of at most WINDOW_CHARS cut at a space — and only after the unit passed every layer;
 * the first unit that fails stops generation and nothing of it is sent. With nothing that could
 * refuse, text streams as it comes and is scored at the end, for the audit entry.
 */
import type { ValidationLayer, ValidationVerdict } from "@ns-llm/contracts";
import type { ToxicityClassifier } from "./classifier.ts";
import type { AnswerPluginLayer } from "./plugin-layer.ts";
import { coherenceOf, cosine, repetition, type CoherenceScore } from "./coherence.ts";
import { brokenRule, missingPhrase, refusesMidStream, rulesFor, type Policy } from "./rules.ts";
import { scoreToxicity } from "./toxicity.ts";

/** A window without a sentence end is cut after this many characters (at the last space before). */
export const WINDOW_CHARS = 200;
/** Coherence is judged mid-stream only once the answer has this many words (a few words say little). */
export const COHERENCE_MIN_WORDS = 12;

export type GateContext = {
  prompt: string;
  policy: Policy;
  /** The loaded moderation model, leased for this answer; undefined for the lexicon alone. */
  classifier: { engine: ToxicityClassifier; manifest: string | null } | undefined;
  /** Embeds texts under the governed embedding model; undefined (or resolving undefined) without one. */
  embed: ((texts: string[]) => Promise<Float32Array[] | undefined>) | undefined;
  /** This answer's plugin checks (the "plugin" layer), when a plugin checks answers. */
  plugins?: ReturnType<AnswerPluginLayer["beginAnswer"]> | undefined;
  /** Passes released text on to the client. */
  send: (text: string) => void;
  /** Stops generation (called once, on a refusal). */
  stop: () => void;
};

export type Refusal = { layer: ValidationLayer; detail: string };

export class AnswerGate {
  readonly #c: GateContext;
  readonly #rules: ReturnType<typeof rulesFor>;
  readonly gated: boolean;
  #pending = "";
  #sent = "";
  #examined = "";
  #refusal: Refusal | undefined;
  #toxicity = 0;
  #coherence: CoherenceScore | undefined;

  #chain: Promise<void> = Promise.resolve();
  #scorer: ValidationVerdict["scorer"];
  #promptVector: Promise<Float32Array | undefined> | undefined;

  constructor(context: GateContext) {
    this.#c = context;
    this.#rules = rulesFor(context.policy, context.prompt);
    const { policy } = context;
    this.gated = refusesMidStream(policy, this.#rules) || policy.minChars !== null || this.#rules.some((r) => r.kind === "require") || context.plugins !== undefined;
    this.#scorer = context.classifier
      ? { kind: "classifier", model: context.classifier.engine.info.name, manifest: context.classifier.manifest }
      : { kind: "lexicon", model: "obscenity" };
  }

  /** The text sent to the client. */
  get text(): string {
    return this.#sent;
  }

  get refusal(): Refusal | undefined {
    return this.#refusal;
  }

  /** Adds text the deny filter let through; sends it now (ungated) or unit by unit once checked. */
  push(text: string): void {
    if (text === "" || this.#refusal) return;
    void this.#promptEmbedding();
    if (!this.gated) {
      this.#sent += text;
      this.#c.send(text);
      return;
    }
    this.#pending += text;
    for (let unit = takeUnit(this.#pending); unit !== undefined; unit = takeUnit(this.#pending)) {
      this.#pending = this.#pending.slice(unit.length);
      const u = unit;
      this.#chain = this.#chain.then(() => this.#check(u, false));
    }
  }

  /** The answer ended (or was stopped): checks what is left and gives the verdict. */
  async finish(): Promise<ValidationVerdict> {
    await this.#chain;
    if (this.gated) {
      if (!this.#refusal) await this.#check(this.#pending, true);
      this.#pending = "";
    } else {
      this.#examined = this.#sent;
      const units = splitUnits(this.#sent);
      const [{ scores }, coherence] = await Promise.all([scoreToxicity(units, this.#c.classifier), this.#coherenceOf(this.#sent)]);
      this.#toxicity = Math.max(0, ...scores);
      this.#coherence = coherence;
    }
    // The verdict's coherence is always the end's (relevance included), even after a mid-stream refusal.
    if (this.#examined.trim() !== "" && (this.#coherence === undefined || this.#refusal)) {
      this.#coherence = await this.#coherenceOf(this.#examined);
    }
    const { policy } = this.#c;
    return {
      verdict: this.#refusal ? "refused" : "pass",
      ...(this.#refusal ? { layer: this.#refusal.layer, detail: this.#refusal.detail } : {}),
      toxicity: round(this.#toxicity),
      coherence: this.#coherence ? round(this.#coherence.coherence) : null,
      repetition: this.#coherence ? round(this.#coherence.repetition) : null,
      relevance: this.#coherence?.relevance == null ? null : round(this.#coherence.relevance),
      scorer: this.#scorer,
      maxToxicity: policy.maxToxicity,
      minCoherence: policy.minCoherence,
      ...(this.#c.plugins ? { plugins: this.#c.plugins.verdicts() } : {}),
    };
  }

  /** Checks one unit against every layer; sends it when it passes, else refuses and stops. */
  async #check(unit: string, final: boolean): Promise<void> {
    if (this.#refusal) return;
    const { policy } = this.#c;
    const candidate = this.#sent + unit;
    this.#examined = candidate;
    const refuse = (layer: ValidationLayer, detail: string) => {
      this.#refusal = { layer, detail };
      this.#c.stop();
    };
    const broken = brokenRule(candidate, this.#rules);
    if (broken !== undefined) return refuse("rule", broken);
    if (final) {
      const missing = missingPhrase(candidate, this.#rules);
      if (missing !== undefined) return refuse("rule", `${missing} (required phrase missing)`);
    }
    if (policy.maxChars !== null && candidate.length > policy.maxChars) return refuse("length", `more than maxChars ${policy.maxChars}`);
    if (final && policy.minChars !== null && candidate.length < policy.minChars) return refuse("length", `fewer than minChars ${policy.minChars}`);
    // At the end, coherence (an embedding of prompt and answer) is computed beside the last toxicity
    // check rather than after it: both are on the answer's critical path.
    const endCoherence = final && candidate.trim() !== "" ? this.#coherenceOf(candidate) : undefined;
    if (unit.trim() !== "") {
      const { scores } = await scoreToxicity([unit], this.#c.classifier);
      this.#toxicity = Math.max(this.#toxicity, scores[0]!);
      if (policy.maxToxicity !== null && scores[0]! > policy.maxToxicity) return refuse("toxicity", `${round(scores[0]!)} > maxToxicity ${policy.maxToxicity}`);
    }
    if (endCoherence) this.#coherence = await endCoherence;
    if (policy.minCoherence !== null && (final || wordCount(candidate) >= COHERENCE_MIN_WORDS) && candidate.trim() !== "") {
      this.#coherence = final ? this.#coherence! : await this.#coherenceOf(candidate, true);
      if (this.#coherence.coherence < policy.minCoherence) {
        return refuse("coherence", `${round(this.#coherence.coherence)} < minCoherence ${policy.minCoherence}`);
      }
    }
    // The plugin layer, last: a plugin may refuse, or rewrite the unit (what it returns is sent).
    if (this.#c.plugins) {
      const r = await this.#c.plugins.check(unit, candidate, final);
      if (r.refusal !== undefined) return refuse("plugin", r.refusal);
      unit = r.unit;
    }
    this.#sent += unit;
    if (unit !== "") this.#c.send(unit);
  }

  /**
   * Coherence of `text`. Mid-stream (`streaming`), repetition alone judges it (relevance taken as
   * 1, its best case): embedding the growing answer at every unit would cost more than all the
   * rest. At the end, the answer is embedded and relevance counts; the prompt's embedding was
   * started with the answer's first text, so only the answer's is on the answer's critical path.
   */
  async #coherenceOf(text: string, streaming = false): Promise<CoherenceScore> {
    const rep = repetition(text);
    if (streaming) return coherenceOf(rep, 1);
    const promptVector = this.#promptEmbedding();
    if (!promptVector || text.trim() === "") return coherenceOf(rep, null);
    const [p, a] = await Promise.all([promptVector, this.#embedOne(text)]);
    return coherenceOf(rep, p && a ? Math.max(0, cosine(p, a)) : null);
  }

  /** The prompt's embedding (started once, at the first text of the answer); undefined without an embedding model or a prompt. */
  #promptEmbedding(): Promise<Float32Array | undefined> | undefined {
    if (!this.#c.embed || this.#c.prompt.trim() === "") return undefined;
    this.#promptVector ??= this.#embedOne(this.#c.prompt);
    return this.#promptVector;
  }

  #embedOne(text: string): Promise<Float32Array | undefined> {
    return this.#c.embed!([text]).then(
      (vectors) => vectors?.[0],
      () => undefined,
    );
  }
}

/** The first complete unit at the start of `text` (a sentence, a line, or a full window), or undefined. */
export function takeUnit(text: string): string | undefined {
  const end = /[.!?…。！？]+["')\]]*\s|\n/u.exec(text);
  if (end && end.index + end[0].length <= WINDOW_CHARS) return text.slice(0, end.index + end[0].length);
  if (text.length <= WINDOW_CHARS) return undefined;
  const space = text.lastIndexOf(" ", WINDOW_CHARS);
  let cut = space > 0 ? space + 1 : WINDOW_CHARS;
  // Never split a surrogate pair.
  if (/[\uD800-\uDBFF]/.test(text[cut - 1]!)) cut++;
  return text.slice(0, cut);
}

/** `text` cut into units as the stream would have. */
export function splitUnits(text: string): string[] {
  const units: string[] = [];
  let rest = text;
  for (let unit = takeUnit(rest); unit !== undefined; unit = takeUnit(rest)) {
    units.push(unit);
    rest = rest.slice(unit.length);
  }
  if (rest.trim() !== "") units.push(rest);
  return units.filter((u) => u.trim() !== "");
}

function wordCount(text: string): number {
  return (text.match(/[\p{L}\p{N}]+/gu) ?? []).length;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
