/**
 * The node's validation service: the moderation model's slot (the governed toxicity classifier,
 * swapped in like the other models: loaded beside the current one, then swapped; answers in
 * flight keep the one they leased), a gate per answer under the parameters in force, the
 * per-layer metrics, and what /health says about it.
 */
import type { ManifestParameters, ValidationHealth, ValidationVerdict } from "@ns-llm/contracts";
import { Counter, Histogram, type Registry } from "prom-client";
import { ModelSlot, type LoadedManifest } from "../inference/model-slot.ts";
import { createToxicityClassifier, type ToxicityClassifier } from "./classifier.ts";
import type { AnswerPluginLayer } from "./plugin-layer.ts";
import { policyOf } from "./rules.ts";
import { AnswerGate } from "./validator.ts";

export type ModerationSpec = { model: string; tokenizer?: string; name: string; manifest?: Partial<LoadedManifest> };

export type CreateValidationParameters = {
  /** The governed parameters in force (GovernedState.parameters), read at each answer. */
  parameters: () => Readonly<ManifestParameters>;
  /** The governed embedding model, for coherence's relevance; resolves undefined without one. */
  embed?: (texts: string[]) => Promise<Float32Array[] | undefined>;
  /** The node's registry (/metrics) and its refusal counter, labelled by layer. */
  registry: Registry;
  refusals: Counter<"rule">;
  /** Contributor plugins' answer hooks (the "plugin" layer, last). */
  plugins?: AnswerPluginLayer;
};

export type AnswerCheck = {
  gate: AnswerGate;
  /** Waits for the last checks, records the verdict in the metrics, releases the classifier. */
  finish(): Promise<ValidationVerdict>;
  /** The answer ends without a verdict (its generation failed): releases the classifier. */
  abandon(): void;
};

export type Validation = {
  /** A gate for one answer to `prompt`; `send` gets the text that passed, `stop` ends generation. */
  begin(prompt: string, send: (text: string) => void, stop: () => void): AnswerCheck;
  /** Loads a moderation model beside the current one and swaps it in. */
  loadModeration(spec: ModerationSpec, control?: { signal?: AbortSignal }): Promise<void>;
  health(): ValidationHealth;
  close(): Promise<void>;
};

const BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1];

export function createValidation(p: CreateValidationParameters): Validation {
  const slot = new ModelSlot<ToxicityClassifier>();
  let loadError: string | undefined;
  const registers = [p.registry];
  const toxicity = new Histogram({ name: "ns_llm_validation_toxicity", help: "Toxicity of answers (the highest of their units)", buckets: BUCKETS, registers });
  const coherence = new Histogram({ name: "ns_llm_validation_coherence", help: "Coherence of answers", buckets: BUCKETS, registers });
  const verdicts = new Counter({ name: "ns_llm_validation_verdicts_total", help: "Answers validated, by verdict and the scorer of toxicity", labelNames: ["verdict", "scorer"], registers });

  return {
    begin(prompt, send, stop) {
      const lease = slot.acquire();
      const gate = new AnswerGate({
        prompt,
        policy: policyOf(p.parameters()),
        classifier: lease ? { engine: lease.engine, manifest: lease.manifest.cid ?? null } : undefined,
        embed: p.embed,
        plugins: p.plugins?.answering() ? p.plugins.beginAnswer(prompt) : undefined,
        send,
        stop,
      });
      return {
        gate,
        async finish() {
          try {
            const verdict = await gate.finish();
            toxicity.observe(verdict.toxicity);
            if (verdict.coherence !== null) coherence.observe(verdict.coherence);
            verdicts.inc({ verdict: verdict.verdict, scorer: verdict.scorer.kind });
            if (verdict.layer) p.refusals.inc({ rule: verdict.layer });
            return verdict;
          } finally {
            lease?.release();
          }
        },
        abandon: () => lease?.release(),
      };
    },

    async loadModeration(spec, control = {}) {
      try {
        control.signal?.throwIfAborted();
        const engine = await createToxicityClassifier({ model: spec.model, ...(spec.tokenizer ? { tokenizer: spec.tokenizer } : {}), name: spec.name });
        if (control.signal?.aborted) {
          await engine.dispose();
          control.signal.throwIfAborted();
        }
        slot.swap(engine, { cid: spec.manifest?.cid, name: spec.manifest?.name ?? spec.name, version: spec.manifest?.version, digest: spec.manifest?.digest });
        loadError = undefined;
      } catch (error) {
        if (!control.signal?.aborted) loadError = (error as Error).message;
        throw error;
      }
    },

    health() {
      const v = p.parameters().validation ?? {};
      const m = slot.manifest;
      return {
        toxicity: {
          ...(m ? { kind: "classifier" as const, model: m.name, manifest: m.cid ?? null } : { kind: "lexicon" as const, model: "obscenity" as const }),
          ...(loadError ? { error: loadError } : {}),
        },
        maxToxicity: v.maxToxicity ?? null,
        minCoherence: v.minCoherence ?? null,
        rules: v.rules?.length ?? 0,
        denyPatterns: v.denyPatterns?.length ?? 0,
      };
    },

    close: () => slot.close(),
  };
}
