/**
 * One generation request, from the node's side: wait for a slot in the scheduler, lease the
 * current engine, check and clamp the lengths against the governed caps, generate (streaming
 * through `onToken`, held back by the governed deny patterns), fall back to the local search when
 * no generation model is loaded or it fails before its first token, and record the answer in the
 * audit log. Refusals are domain errors (errors.ts); the HTTP server maps them to statuses.
 */
import { chatDigest, textDigest, type AnswerSource, type ValidationVerdict } from "@ns-llm/contracts";
import {
  checkOutputFormat,
  GenerationRequestError,
  logprobsOfText,
  type ChatMessage,
  type GenerationEngine,
  type GenerationResult,
  type LoadedManifest,
  type ModelSlot,
  type OutputFormat,
  type SamplingOptions,
  type TokenLogprob,
} from "../inference/index.ts";
import type { NodeMetrics } from "../metrics.ts";
import { answerFromSearch, type SearchIndex } from "../search/index.ts";
import type { Validation } from "../validation/index.ts";
import type { AnswerRecorder } from "./answer-record.ts";
import type { Canary, CanaryLease, CanarySample } from "./canary.ts";
import { DenyFilter } from "./deny-filter.ts";
import { countRejection, InvalidRequestError, UnavailableError } from "./errors.ts";
import type { GovernedState } from "./governed-state.ts";
import { clampOutputTokens, RequestTimeoutError, type Scheduler } from "./scheduler.ts";

export type GenerationInput = { kind: "complete"; prompt: string } | { kind: "chat"; messages: ChatMessage[] };

export type GenerationRequest = GenerationInput & {
  /** The route that asked, for the audit entry (`/generate`, `/v1/chat/completions`...). */
  route: string;
  /** Whether the answer is streamed to the client (recorded in the audit entry). */
  stream: boolean;
  sampling: Omit<SamplingOptions, "maxTokens">;
  maxTokens: number | undefined;
  /** Added to the system prompt (the governed one, or the caller's): how to call the request's tools. */
  instructions?: string | undefined;
  /** JSON output enforced while decoding (a search fallback cannot give it: refused instead). */
  format?: OutputFormat | undefined;
  /** Report tokens' log-probabilities with `top` alternatives (none from a search fallback). */
  logprobs?: { top: number } | undefined;
  /** Aborts waiting or generating (the client went away). */
  signal: AbortSignal;
  /** Called once, before the first token, with where the answer comes from. */
  onStart?: (origin: AnswerOrigin) => void;
  onToken?: (text: string) => void;
};

export type AnswerOrigin = { source: Exclude<AnswerSource, "embedding">; model: string; manifest: LoadedManifest | undefined };

export type GenerationOutcome = AnswerOrigin & {
  text: string;
  tokens: number;
  promptTokens: number;
  /** Prompt tokens the model's sequence held already (a shared system prompt) and did not evaluate again. */
  cachedTokens?: number;
  /**
   * "timeout": the request's deadline stopped it; "abort": the client or a shutdown did;
   * "content_filter": a governed deny pattern stopped it (the text ends before the pattern).
   */
  finishReason: GenerationResult["finishReason"] | "timeout" | "content_filter";
  ms: number;
  /** Arrival to first token, queue wait included; null when none came. */
  firstTokenMs: number | null;
  /** Why the answer comes from search. */
  fallbackReason?: string;
  /** When asked for and the model answered: one entry per token of `text`. */
  logprobs?: TokenLogprob[];
  /** The sampling actually used (for the audit entry). */
  parameters: Record<string, unknown>;
  /** The answer's audit log entry; null when the node keeps no audit log. */
  auditSeq: number | null;
  /** Its validation scores and verdict (also in the audit entry's parameters). */
  validation?: ValidationVerdict;
};

export type GenerationServiceDependencies = {
  slot: ModelSlot<GenerationEngine>;
  scheduler: Scheduler;
  search: SearchIndex | undefined;
  metrics: NodeMetrics;
  governed: GovernedState;
  recorder: AnswerRecorder;
  /** The validation layers (issue 15); without it only the deny patterns apply. */
  validation?: Validation;
  /** Told of every recorded answer after it is recorded (the federation announces some); must not throw. */
  onAnswer?: (request: GenerationRequest, outcome: GenerationOutcome) => void;
  /** The canary swap in progress, if any, takes its share of requests (issue 16). */
  canary?: Canary<GenerationEngine>;
};

export type GenerationService = { generate(request: GenerationRequest): Promise<GenerationOutcome> };

type Unrecorded = Omit<GenerationOutcome, "auditSeq">;

export function createGenerationService(deps: GenerationServiceDependencies): GenerationService {
  const { slot, scheduler, metrics } = deps;

  async function fallback(request: GenerationRequest, reason: string, metricReason: string, began: number): Promise<Unrecorded> {
    if (!deps.search) throw new UnavailableError("generation_unavailable", `${reason}, and the node has no search index to answer from`);
    if (request.format) throw new UnavailableError("generation_unavailable", `${reason}, and an answer from search cannot be JSON (${request.format.type})`);
    metrics.fallbacks.inc({ reason: metricReason });
    const query = request.kind === "complete" ? request.prompt : lastUserText(request.messages);
    const results = await deps.search.search(query, 3);
    const origin: AnswerOrigin = { source: "search", model: "search", manifest: undefined };
    request.onStart?.(origin);
    // The search answer passes the same layers as a generated one.
    const deny = new DenyFilter(deps.governed.generation().denyPatterns);
    let firstTokenMs: number | null = null;
    const send = (t: string) => {
      if (t === "") return;
      firstTokenMs ??= performance.now() - began;
      request.onToken?.(t);
    };
    const check = deps.validation?.begin(query, send, () => {});
    const pass = check ? (t: string) => check.gate.push(t) : send;
    pass(deny.push(answerFromSearch(results)));
    pass(deny.flush());
    const validation = withDeny(await check?.finish(), deny);
    const finishReason = validation?.verdict === "refused" || deny.matched !== undefined ? "content_filter" : "stop";
    if (deny.matched !== undefined) metrics.validationRefusals.inc({ rule: "deny_pattern" });
    metrics.generations.inc({ source: "search", finish: finishReason });
    return {
      ...origin,
      text: check ? check.gate.text : deny.emitted,
      tokens: 0,
      promptTokens: 0,
      finishReason,
      ...(validation ? { validation } : {}),
      ms: performance.now() - began,
      firstTokenMs,
      fallbackReason: reason,
      parameters: { k: 3, results: results.map((r) => r.id), ...(validation ? { validation } : {}) },
    };
  }

  /**
   * One request inside its scheduler slot: on a canary's new model when it falls in the canary's
   * share (canary.ts), else (or when that failed) on the current model.
   */
  async function run(request: GenerationRequest, signal: AbortSignal, began: number): Promise<Unrecorded> {
    const trial = deps.canary?.pick();
    // The candidate's lease is held until its result is recorded, which may be after the retry.
    try {
      const tried = trial ? await onCandidate(request, signal, began, trial) : undefined;
      if (tried?.outcome) return tried.outcome;
      const lease = slot.acquire();
      if (!lease) return await fallback(request, "no generation model is loaded", "no_model", began);
      const started = performance.now();
      try {
        const outcome = await generateOn(lease, request, signal, began, "fallback");
        const sample = sampleOf(outcome, started);
        deps.canary?.observe(sample);
        // The candidate refused the request where the current model answered it: its fault after all.
        if (tried?.clientError && sample.outcome === "ok") trial!.record({ outcome: "error", ms: 0 });
        return outcome;
      } catch (error) {
        if (!signal.aborted && !isClientError(error)) deps.canary?.observe({ outcome: "error", ms: performance.now() - started });
        throw error;
      } finally {
        lease.release();
      }
    } finally {
      trial?.release();
    }
  }

  /**
   * A request on a canary's new model. Its answer is held back (a stream gets it whole, at the
   * end) so that a failure or a refusal can be answered again by the current model without the
   * client seeing it; the new model gets at most half the time left, so that a hang leaves the
   * current model time to answer. Returns the outcome when the new model's answer is good, nothing
   * when the current model must answer (`clientError`: it refused the request as the caller's
   * fault, which counts against it only if the current model then answers).
   */
  async function onCandidate(request: GenerationRequest, signal: AbortSignal, began: number, trial: CanaryLease<GenerationEngine>): Promise<{ outcome?: Unrecorded; clientError?: boolean }> {
    let origin: AnswerOrigin | undefined;
    const held: string[] = [];
    const quiet: GenerationRequest = { ...request, onStart: (o) => (origin = o), onToken: (t) => held.push(t) };
    const budget = Math.max(1, (scheduler.limits.timeoutMs - (performance.now() - began)) / 2);
    const own = new AbortController();
    const timer = setTimeout(() => own.abort(new Error("the canary's share of the request's time ran out")), budget);
    const started = performance.now();
    try {
      const outcome = await generateOn(trial, quiet, AbortSignal.any([signal, own.signal]), began, "throw");
      if (signal.aborted) return { outcome }; // the client went away: nothing to retry, nothing to judge
      const sample: CanarySample = own.signal.aborted ? { outcome: "error", ms: performance.now() - started } : sampleOf(outcome, started);
      trial.record(sample);
      if (sample.outcome !== "ok") return {};
      if (origin) request.onStart?.(origin);
      const firstTokenMs = held.length ? performance.now() - began : null;
      for (const t of held) request.onToken?.(t);
      return { outcome: { ...outcome, firstTokenMs } };
    } catch (error) {
      if (signal.aborted) throw error;
      if (isClientError(error)) return { clientError: true };
      trial.record({ outcome: "error", ms: performance.now() - started });
      return {};
    } finally {
      clearTimeout(timer);
    }
  }

  async function generateOn(
    lease: { engine: GenerationEngine; manifest: LoadedManifest },
    request: GenerationRequest,
    signal: AbortSignal,
    began: number,
    onEngineError: "fallback" | "throw",
  ): Promise<Unrecorded> {
    const { engine, manifest } = lease;
    let emitted = 0;
    let firstTokenMs: number | null = null;
    metrics.activeGenerations.inc();
    try {
      const governed = deps.governed.generation();
      const messages = request.kind === "chat" ? withSystemPrompt(request.messages, governed.systemPrompt, request.instructions) : undefined;
      const promptText = request.kind === "complete" ? request.prompt : messages!.map((m) => m.content).join("\n");
      const promptTokens = engine.countTokens(promptText);
      const { maxPromptTokens, maxOutputTokens } = scheduler.limits;
      if (promptTokens > maxPromptTokens) {
        throw new InvalidRequestError("prompt_too_long", `the prompt has ${promptTokens} tokens; this node accepts at most ${maxPromptTokens}`);
      }
      // A chat template adds a few tokens around each message.
      const templateSlack = messages ? 8 * messages.length : 0;
      const maxTokens = clampOutputTokens({
        requested: request.maxTokens,
        governedMaxTokens: governed.maxTokens,
        nodeMaxTokens: maxOutputTokens,
        contextLeft: engine.info.contextLength - promptTokens - templateSlack,
      });
      if (maxTokens <= 0) throw new InvalidRequestError("prompt_too_long", `the prompt fills the model's context of ${engine.info.contextLength} tokens`);
      const sampling: SamplingOptions = {
        ...definedOnly({ temperature: governed.temperature, topP: governed.topP, topK: governed.topK, repeatPenalty: governed.repeatPenalty }),
        ...definedOnly(request.sampling),
        maxTokens,
      };
      request.onStart?.({ source: "llm", model: engine.info.name, manifest });
      const deny = new DenyFilter(governed.denyPatterns);
      // A deny pattern or a validation layer stops the engine as a client going away would.
      const denied = new AbortController();
      const send = (text: string) => {
        if (text === "") return;
        if (emitted++ === 0) firstTokenMs = performance.now() - began;
        request.onToken?.(text);
      };
      const check = deps.validation?.begin(request.kind === "complete" ? request.prompt : lastUserText(request.messages), send, () => denied.abort());
      const pass = check ? (text: string) => check.gate.push(text) : send;
      const common = {
        ...sampling,
        ...(request.format ? { format: request.format } : {}),
        ...(request.logprobs ? { logprobs: request.logprobs } : {}),
        signal: deny.active || check ? AbortSignal.any([signal, denied.signal]) : signal,
        onToken: deny.active
          ? (text: string) => {
              pass(deny.push(text));
              if (deny.matched !== undefined) denied.abort();
            }
          : pass,
      };
      let result: GenerationResult;
      try {
        result = request.kind === "complete" ? await engine.complete({ ...common, prompt: request.prompt }) : await engine.chat({ ...common, messages: messages! });
      } catch (error) {
        // Unless it goes on to a verdict (an abort), the answer's validation lets go of its classifier.
        if (!signal.aborted) check?.abandon();
        // Bad sampling values or a prompt over the context: the caller's fault, never a reason to fall back.
        if (error instanceof GenerationRequestError) throw error;
        if (signal.aborted) {
          result = { text: "", tokens: emitted, promptTokens, finishReason: "abort", ms: performance.now() - began, firstTokenMs };
        } else if (emitted === 0 && onEngineError === "fallback") {
          return await fallback(request, `the generation model failed: ${(error as Error).message}`, "engine_error", began);
        } else throw error;
      }
      if (deny.active && deny.matched === undefined) pass(deny.flush());
      const validation = withDeny(await check?.finish(), deny);
      const finishReason: GenerationOutcome["finishReason"] =
        deny.matched !== undefined || validation?.verdict === "refused" ? "content_filter" : result.finishReason === "abort" && signal.reason instanceof RequestTimeoutError ? "timeout" : result.finishReason;
      if (deny.matched !== undefined) metrics.validationRefusals.inc({ rule: "deny_pattern" });
      metrics.tokens.inc(result.tokens);
      metrics.promptTokens.inc(result.promptTokens);
      metrics.generations.inc({ source: "llm", finish: finishReason });
      if (firstTokenMs !== null) {
        metrics.timeToFirstToken.observe(firstTokenMs / 1000);
        const decodeMs = performance.now() - began - firstTokenMs;
        if (result.tokens > 1 && decodeMs > 0) metrics.tokensPerSecond.observe((result.tokens - 1) / (decodeMs / 1000));
      }
      return {
        source: "llm",
        model: engine.info.name,
        manifest,
        text: check ? check.gate.text : deny.active ? deny.emitted : result.text,
        ...(result.logprobs ? { logprobs: logprobsOfText(result.logprobs, check ? check.gate.text : deny.active ? deny.emitted : result.text) } : {}),
        tokens: result.tokens,
        promptTokens: result.promptTokens,
        ...(result.cachedTokens !== undefined ? { cachedTokens: result.cachedTokens } : {}),
        finishReason,
        ms: performance.now() - began,
        firstTokenMs,
        ...(validation ? { validation } : {}),
        parameters: { ...sampling, ...(request.format ? { format: request.format.type } : {}), ...(request.logprobs ? { logprobs: request.logprobs.top } : {}), ...(validation ? { validation } : deny.matched !== undefined ? { validation: { refused: "deny_pattern", pattern: deny.matched } } : {}) },
      };
    } finally {
      metrics.activeGenerations.dec();
    }
  }

  async function record(request: GenerationRequest, outcome: Unrecorded): Promise<GenerationOutcome> {
    const auditSeq = await deps.recorder.record({
      route: request.route,
      model: outcome.model,
      manifest: outcome.manifest?.cid ?? null,
      source: outcome.source,
      parameters: { ...outcome.parameters, finishReason: outcome.finishReason, tokens: outcome.tokens, stream: request.stream },
      inputSha256: request.kind === "complete" ? textDigest(request.prompt) : chatDigest(request.messages),
      outputSha256: textDigest(outcome.text),
      ms: outcome.ms,
      text: { input: request.kind === "complete" ? request.prompt : request.messages, output: outcome.text },
    });
    const recorded = { ...outcome, auditSeq };
    deps.onAnswer?.(request, recorded);
    return recorded;
  }

  return {
    async generate(request) {
      // A schema the node cannot enforce is refused before the request waits for a slot.
      checkOutputFormat(request.format);
      const began = performance.now();
      try {
        const outcome = slot.ready
          ? await scheduler.run((signal) => run(request, signal, began), { signal: request.signal })
          : await fallback(request, "no generation model is loaded", "no_model", began);
        return await record(request, outcome);
      } catch (error) {
        countRejection(metrics, error);
        throw error;
      }
    },
  };
}

/** How a request went, for a canary's comparison: a search fallback or a timeout is a failure of the model. */
function sampleOf(outcome: Unrecorded, started: number): CanarySample {
  const ms = performance.now() - started;
  if (outcome.source !== "llm" || outcome.finishReason === "timeout") return { outcome: "error", ms };
  if (outcome.validation?.verdict === "refused" || outcome.finishReason === "content_filter") return { outcome: "refused", ms };
  return { outcome: "ok", ms };
}

/** The request's own fault (a prompt over the context, bad sampling values): no model's failure. */
function isClientError(error: unknown): boolean {
  return error instanceof InvalidRequestError || error instanceof GenerationRequestError;
}

/** The gate's verdict, refused by the deny layer when a deny pattern stopped the answer before the gate saw it. */
function withDeny(verdict: ValidationVerdict | undefined, deny: DenyFilter): ValidationVerdict | undefined {
  if (!verdict || deny.matched === undefined) return verdict;
  return { ...verdict, verdict: "refused", layer: "deny_pattern", detail: deny.matched };
}

function lastUserText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === "user") return messages[i]!.content;
  return messages.at(-1)?.content ?? "";
}

function withSystemPrompt(messages: ChatMessage[], systemPrompt: string | undefined, instructions?: string): ChatMessage[] {
  const governed = !systemPrompt || messages.some((m) => m.role === "system") ? messages : [{ role: "system" as const, content: systemPrompt }, ...messages];
  if (!instructions) return governed;
  // Into the first system turn: many chat templates take one, at the start.
  const [first, ...rest] = governed;
  if (first?.role === "system") return [{ role: "system", content: `${first.content}\n\n${instructions}` }, ...rest];
  return [{ role: "system", content: instructions }, ...governed];
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
