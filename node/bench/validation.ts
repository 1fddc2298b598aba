/**
 * What answer validation costs (issue 15's targets: at most 5% on a 128-token answer with the demo
 * models, at most 2 ms per answer with the demo classifier), and the classifier's answers/s.
 *
 *   node bench/validation.ts [--runs R] [--max-tokens T]
 *
 * 1. A 128-token answer of the demo generation model, streamed, alone (baseline) and through the
 *    answer gate with every layer on (a deny pattern, a regex rule, maxToxicity and minCoherence,
 *    the demo classifier, coherence's relevance under the demo embedding model): the gate then
 *    releases text unit by unit, scores each unit and judges coherence as the answer grows.
 *    Runs alternate, so a neighbour's load on the shared machine hits all alike, and each variant
 *    takes its turn first, second and third for the same prompt. Median times.
 * 2. The gate alone on a recorded 128-token answer (pushed token by token, then finished): the
 *    validation time per answer, with the classifier, and with the lexicon only.
 * 3. The classifier alone: whole answers scored per second (each answer's units in one batch).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureDemoModels, writeDemoToxicity } from "../src/demo/index.ts";
import { createEmbeddingEngine } from "../src/inference/embedding/index.ts";
import { createGenerationEngine } from "../src/inference/generation/index.ts";
import { DenyFilter } from "../src/serving/deny-filter.ts";
import { AnswerGate, createToxicityClassifier, policyOf, splitUnits } from "../src/validation/index.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "9" }, "max-tokens": { type: "string", default: "128" } } });
const runs = Number(values.runs);
const maxTokens = Number(values["max-tokens"]);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-validation-"));
try {
  const demo = await ensureDemoModels(dir);
  const toxicityFiles = await writeDemoToxicity(path.join(dir, "toxicity"));
  const engine = await createGenerationEngine({ modelPath: demo.generation.modelPath, threads: 1, sequences: 1 });
  const embedder = await createEmbeddingEngine({ model: demo.embedding.model, tokenizer: demo.embedding.tokenizer, threads: 1 });
  const classifier = await createToxicityClassifier({ model: toxicityFiles.model });
  const embed = (texts: string[]) => embedder.embed(texts);
  // Every layer on, with thresholds no demo answer reaches (so each answer runs to its end and is timed whole).
  const parameters = {
    validation: {
      denyPatterns: ["seed phrase"],
      rules: [{ id: "no-keys", kind: "regex" as const, pattern: "0x[0-9a-f]{64}", flags: "i" }],
      maxToxicity: 1,
      minCoherence: 0,
    },
  };
  const policy = policyOf(parameters);
  const prompt = (run: number) => `${run}. Tell me about the people who live near the water and what they do every day.`;

  const baseline: number[] = [];
  const validated: number[] = [];
  const validatedNoEmbed: number[] = [];
  // Where validation's time goes: while tokens come (checks beside decoding) or after the last one (the final check).
  const lastTokenBaseline: number[] = [];
  const lastTokenValidated: number[] = [];
  const tailValidated: number[] = [];
  let recorded = "";
  const tokens: string[] = [];
  // As many runs again before, unmeasured: the first few dozen answers are up to twice as slow (JIT, caches).
  for (let i = 0; i < runs * 6; i++) {
    const run = Math.floor(i / 3) - runs;
    const measured = run >= 0;
    // The three variants take turns at each place in a triple (the first of a triple evaluates its prompt; the others reuse it).
    const variant = (i + Math.floor(i / 3)) % 3;
    const withGate = variant !== 0;
    const withEmbed = variant === 1;
    const began = performance.now();
    let sent = "";
    let lastToken = began;
    if (!withGate) {
      const r = await engine.complete({ prompt: prompt(Math.floor(i / 3)), maxTokens, temperature: 0, signal: new AbortController().signal, onToken: (t) => ((sent += t), (lastToken = performance.now())) });
      if (measured) {
        baseline.push(performance.now() - began);
        lastTokenBaseline.push(lastToken - began);
      }
      if (recorded === "") {
        recorded = r.text;
      }
    } else {
      const deny = new DenyFilter(policy.denyPatterns);
      const stop = new AbortController();
      const gate = new AnswerGate({ prompt: prompt(Math.floor(i / 3)), policy, classifier: { engine: classifier, manifest: null }, embed: withEmbed ? embed : undefined, send: (t) => (sent += t), stop: () => stop.abort() });
      await engine.complete({ prompt: prompt(Math.floor(i / 3)), maxTokens, temperature: 0, signal: stop.signal, onToken: (t) => (gate.push(deny.push(t)), (lastToken = performance.now())) });
      gate.push(deny.flush());
      const verdict = await gate.finish();
      if (verdict.verdict !== "pass") throw new Error(`the benchmark answer was refused: ${JSON.stringify(verdict)}`);
      const done = performance.now();
      if (!measured) continue;
      (withEmbed ? validated : validatedNoEmbed).push(done - began);
      if (withEmbed) {
        lastTokenValidated.push(lastToken - began);
        tailValidated.push(done - lastToken);
      }
    }
  }
  // The recorded answer, cut into the engine's pieces again for the gate-alone timing.
  await engine.complete({ prompt: prompt(0), maxTokens, temperature: 0, onToken: (t) => tokens.push(t) });

  const gateAlone = async (withClassifier: boolean): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < runs * 3; i++) {
      const began = performance.now();
      const deny = new DenyFilter(policy.denyPatterns);
      const gate = new AnswerGate({ prompt: prompt(0), policy, classifier: withClassifier ? { engine: classifier, manifest: null } : undefined, embed, send: () => {}, stop: () => {} });
      for (const t of tokens) gate.push(deny.push(t));
      gate.push(deny.flush());
      await gate.finish();
      times.push(performance.now() - began);
    }
    return median(times.slice(runs)); // the first third warms up
  };
  const withClassifierMs = await gateAlone(true);
  const lexiconOnlyMs = await gateAlone(false);
  const noEmbed = async (): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < runs * 3; i++) {
      const began = performance.now();
      const gate = new AnswerGate({ prompt: prompt(0), policy, classifier: { engine: classifier, manifest: null }, embed: undefined, send: () => {}, stop: () => {} });
      for (const t of tokens) gate.push(t);
      await gate.finish();
      times.push(performance.now() - began);
    }
    return median(times.slice(runs));
  };
  const classifierAndRulesMs = await noEmbed();

  const units = splitUnits(recorded);
  const started = performance.now();
  let answers = 0;
  while (performance.now() - started < 2000) {
    await classifier.score(units);
    answers++;
  }
  const answersPerSecond = answers / ((performance.now() - started) / 1000);

  const b = median(baseline);
  const v = median(validated);
  console.log(`demo models, ${maxTokens}-token answers, ${runs} runs each, medians`);
  console.log(`  answer alone:                ${b.toFixed(1)} ms`);
  const n = median(validatedNoEmbed);
  console.log(`  answer through every layer:  ${v.toFixed(1)} ms  (+${(((v - b) / b) * 100).toFixed(1)}%)`);
  console.log(`    of which: last token at ${median(lastTokenValidated).toFixed(1)} ms (alone: ${median(lastTokenBaseline).toFixed(1)} ms), then the final check ${median(tailValidated).toFixed(2)} ms`);
  console.log(`  the same, no embedding model (coherence = repetition): ${n.toFixed(1)} ms  (+${(((n - b) / b) * 100).toFixed(1)}%)`);
  console.log(`  the gate alone per answer (${tokens.length} pieces, ${units.length} units, ${recorded.length} chars):`);
  console.log(`    rules + demo classifier + coherence with demo embeddings: ${withClassifierMs.toFixed(2)} ms`);
  console.log(`    rules + demo classifier, no embedding model:              ${classifierAndRulesMs.toFixed(2)} ms`);
  console.log(`    rules + lexicon + coherence with demo embeddings:         ${lexiconOnlyMs.toFixed(2)} ms`);
  console.log(`  demo classifier: ${answersPerSecond.toFixed(0)} answers/s (${units.length} units each, one batch per answer)`);
  await Promise.all([engine.dispose(), embedder.dispose(), classifier.dispose()]);
} finally {
  await rm(dir, { recursive: true, force: true });
}
