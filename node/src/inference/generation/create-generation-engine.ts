/**
 * The generation engine on llama.cpp (node-llama-cpp): one model, one context with N sequences.
 * Concurrent requests each hold a sequence and llama.cpp evaluates them together in one batch; a
 * request that finds every sequence busy waits for one, first come first served. Aborting a
 * request returns its partial text at once and stops evaluation within a token (or a prompt
 * chunk), after which its sequence serves the next request.
 *
 * A request takes the free sequence that holds the longest start of its prompt, preferring one
 * that holds nothing else: node-llama-cpp erases a sequence's other tokens under the context's
 * lock, which its batch loop keeps for as long as sequences decode, so a request that has to
 * erase while two others generate waits for both to end (all of a reply, seconds on a real
 * model). Hence also: the first request after a pause trims the other free sequences to the
 * start they share with its prompt (the lock is free then), so that those arriving while it runs
 * find sequences with nothing to erase, and those with the same system prompt find it evaluated.
 */
import path from "node:path";
import {
  LlamaChat,
  LlamaCompletion,
  resolveChatWrapper,
  type ChatHistoryItem,
  type ChatWrapper,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { defaultThreads } from "../../config.ts";
import type {
  ChatMessage,
  ChatParameters,
  CompleteParameters,
  DecodeBatching,
  FinishReason,
  GenerateCommon,
  GenerationEngine,
  GenerationResult,
  SamplingOptions,
  TokenLogprob,
} from "../types.ts";
import { AfterDispatch } from "./after-dispatch.ts";
import { FullBatches } from "./full-batches.ts";
import { GenerationEngineDisposedError, GenerationRequestError } from "./errors.ts";
import { gpuLayersOption, type GpuOffload } from "./gpu-layers.ts";
import { getSharedLlama } from "./llama-runtime.ts";
import { generateWithLogprobs } from "./logprobs.ts";
import { PlainChatWrapper } from "./plain-chat-wrapper.ts";
import { resolveSampling, type ResolvedSampling } from "./sampling.ts";
import { SequencePool } from "./sequence-pool.ts";
import { checkOutputFormat, grammarFor } from "./structured-output.ts";
import { StopFilter } from "./stop-filter.ts";

export type CreateGenerationEngineParameters = {
  /** A GGUF file. */
  modelPath: string;
  /** The model's name for people and /v1/models; default: the file name without `.gguf`. */
  name?: string;
  /** Inference threads; default `defaultThreads()`. Always explicit: llama.cpp's own default
   * (every core) collapses to a crawl when another process takes a core. */
  threads?: number;
  /** Generations that run at once, each on its own sequence of the shared context; default 4. */
  sequences?: number;
  /** Tokens each sequence holds (prompt + reply); default the model's training context, at most 4096. */
  contextSize?: number;
  /** Sampling defaults (the governed parameters) for whatever a request leaves out. */
  defaults?: SamplingOptions;
  /** Abandons loading the model (llama.cpp stops reading it). */
  signal?: AbortSignal;
  /**
   * The most layers to offload to a GPU (governed `limits.maxGpuLayers`): 0 = the CPU only;
   * undefined = as many as fit (see gpu-layers.ts). Nothing is offloaded on a node without a GPU.
   */
  gpuLayerCap?: number;
};

export type LlamaGenerationEngine = GenerationEngine & {
  /** Requests waiting for a free sequence. */
  readonly waiting: number;
  readonly batching: DecodeBatching;
  /** The prompt a chat becomes (the model's template applied), special tokens written out. */
  renderChat(messages: ChatMessage[]): string;
};

/** Loads the model and its context; the engine is ready when the promise resolves. */
export async function createGenerationEngine(parameters: CreateGenerationEngineParameters): Promise<LlamaGenerationEngine> {
  const { modelPath, threads = defaultThreads(), sequences = 4, defaults = {} } = parameters;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer >= 1, got ${threads}`);
  if (!Number.isInteger(sequences) || sequences < 1) throw new RangeError(`sequences must be an integer >= 1, got ${sequences}`);
  resolveSampling({}, defaults); // refuse bad governed defaults now, not on every request
  const gpuLayers = gpuLayersOption(parameters.gpuLayerCap);

  const llama = await getSharedLlama();
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath, gpuLayers, ...(parameters.signal ? { loadSignal: parameters.signal } : {}) });
  } catch (error) {
    if (parameters.signal?.aborted) throw parameters.signal.reason;
    throw new Error(`cannot load the generation model ${modelPath}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    parameters.signal?.throwIfAborted();
    const contextSize = parameters.contextSize ?? Math.min(model.trainContextSize, 4096);
    const afterDispatch = new AfterDispatch();
    const fullBatches = new FullBatches();
    const context = await model.createContext({
      sequences,
      contextSize,
      threads,
      batching: { dispatchSchedule: afterDispatch.dispatchSchedule, itemPrioritizationStrategy: fullBatches.strategy },
    });
    // The strategy orders a batch by sequence id (one llama.cpp ubatch instead of several): it
    // reads the ids from the context's queue (internal to node-llama-cpp; checked, see full-batches.ts).
    fullBatches.readSequencesFrom(() => (context as unknown as { _queuedDecodes?: Array<{ sequenceId: number; tokens: unknown }> })._queuedDecodes);
    const template = model.fileInfo.metadata.tokenizer?.chat_template;
    const hasChatTemplate = typeof template === "string" && template.trim() !== "";
    const chatWrapper: ChatWrapper = hasChatTemplate ? resolveChatWrapper(model) : new PlainChatWrapper();
    const info = {
      name: parameters.name ?? path.basename(modelPath).replace(/\.gguf$/i, ""),
      path: modelPath,
      contextLength: context.contextSize,
      hasChatTemplate,
      // llama.gpu is false when llama.cpp runs on the CPU; gpuLayers counts what loadModel offloaded.
      device: { backend: llama.gpu || "cpu", gpuLayers: model.gpuLayers } as const,
      offload: {
        supported: llama.supportsGpuOffloading,
        totalLayers: model.fileInsights.totalLayers,
        cap: parameters.gpuLayerCap ?? null,
        gpuLayers: model.gpuLayers,
      } satisfies GpuOffload,
    };
    return new Engine({ model, context, chatWrapper, info, defaults, afterDispatch, fullBatches });
  } catch (error) {
    await model.dispose();
    throw error;
  }
}

/** A free sequence keeps the start it shares with a new prompt when at least this long (else it is emptied). */
const MIN_KEPT_PREFIX = 16;

/** Prompt tokens evaluated per step before generating, so an abort stops a long prompt soon. */
const PREFILL_CHUNK = 64;

/** `index`: the sequence's place in the context (its id's order); among equally good free sequences, the lowest is taken. */
type Slot = { index: number; sequence: LlamaContextSequence; completion: LlamaCompletion; chat: LlamaChat };

/** What a request runs on its slot once it has one. */
type Job = {
  promptTokens: number;
  /** The tokens the generator will find in the context before its last one (evaluated ahead, abortably). */
  prefill: Token[] | undefined;
  /** Chat replies drop leading whitespace; raw completions keep every character. */
  trimStart: boolean;
  run(slot: Slot, hooks: Hooks): Promise<{ stopReason: string }>;
};

type Hooks = {
  signal: AbortSignal;
  onTextChunk: (text: string) => void;
  sampling: ResolvedSampling;
  /** Enforces the request's output format, when it has one. */
  grammar: LlamaGrammar | undefined;
  /** With `logprobs`: how many alternatives per token, and where each token's entry goes. */
  logprobs: { top: number; onLogprob: (entry: TokenLogprob) => void } | undefined;
};

const ABORTED = Symbol("aborted");

class Engine implements LlamaGenerationEngine {
  readonly info: GenerationEngine["info"];
  #model: LlamaModel;
  #context: LlamaContext;
  #chatWrapper: ChatWrapper;
  #defaults: SamplingOptions;
  #pool: SequencePool<Slot>;
  #afterDispatch: AfterDispatch;
  #fullBatches: FullBatches;
  /** Requests holding a sequence. */
  #generating = 0;
  /** Every request from call to return, and every evaluation (which can outlive an aborted request). */
  #inFlight = new Set<Promise<unknown>>();
  #controllers = new Set<AbortController>();
  #disposing: Promise<void> | undefined;

  constructor(options: {
    model: LlamaModel;
    context: LlamaContext;
    chatWrapper: ChatWrapper;
    info: Engine["info"];
    defaults: SamplingOptions;
    afterDispatch: AfterDispatch;
    fullBatches: FullBatches;
  }) {
    this.#afterDispatch = options.afterDispatch;
    this.#fullBatches = options.fullBatches;
    this.#model = options.model;
    this.#context = options.context;
    this.#chatWrapper = options.chatWrapper;
    this.#defaults = options.defaults;
    this.info = options.info;
    const slots: Slot[] = [];
    while (this.#context.sequencesLeft > 0) {
      const sequence = this.#context.getSequence();
      slots.push({
        index: slots.length,
        sequence,
        completion: new LlamaCompletion({ contextSequence: sequence }),
        chat: new LlamaChat({ contextSequence: sequence, chatWrapper: this.#chatWrapper }),
      });
    }
    this.#pool = new SequencePool(slots);
  }

  get capacity(): number {
    return this.#pool.capacity;
  }

  get active(): number {
    return this.#pool.busy;
  }

  get waiting(): number {
    return this.#pool.waiting;
  }

  get batching(): DecodeBatching {
    return this.#fullBatches.stats;
  }

  countTokens(text: string): number {
    this.#ensureOpen();
    return this.#model.tokenize(text).length;
  }

  renderChat(messages: ChatMessage[]): string {
    this.#ensureOpen();
    return this.#model.detokenize(this.#renderChat(toChatHistory(messages)), true);
  }

  async complete(parameters: CompleteParameters): Promise<GenerationResult> {
    this.#ensureOpen();
    if (typeof parameters.prompt !== "string" || parameters.prompt === "") {
      throw new GenerationRequestError("invalid_parameter", "prompt must be a non-empty string");
    }
    const model = this.#model;
    // Tokenized as llama.cpp and SentencePiece do ("the" -> "▁the"); LlamaCompletion would drop
    // that word-start space ("t", "he"). It prepends BOS itself when the model wants one.
    const tokens = model.tokenize(parameters.prompt);
    const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
    const input = bos === null ? tokens : [bos, ...tokens];
    if (input.length >= this.info.contextLength) {
      throw new GenerationRequestError(
        "prompt_too_long",
        `the prompt is ${input.length} tokens; this model's context holds ${this.info.contextLength} per request (shorten the prompt)`,
      );
    }
    return await this.#generate(parameters, {
      promptTokens: input.length,
      prefill: input.slice(0, -1),
      trimStart: false,
      run: async (slot, { signal, onTextChunk, sampling, grammar, logprobs }) => {
        if (logprobs) return generateWithLogprobs({ model, sequence: slot.sequence, input, sampling, grammar, top: logprobs.top, signal, onTextChunk, onLogprob: logprobs.onLogprob });
        const { metadata } = await slot.completion.generateCompletionWithMeta(tokens, {
          ...samplingOptions(sampling),
          ...(grammar ? { grammar } : {}),
          signal,
          stopOnAbortSignal: true,
          onTextChunk,
        });
        return metadata;
      },
    });
  }

  async chat(parameters: ChatParameters): Promise<GenerationResult> {
    this.#ensureOpen();
    const history = toChatHistory(parameters.messages);
    const rendered = this.#renderChat(history);
    // A history longer than the context is shortened by LlamaChat (oldest turns first); only a
    // prompt that fits is evaluated ahead.
    const fits = rendered.length < this.info.contextLength;
    if (!fits && parameters.logprobs) {
      // The token loop of logprobs.ts cannot shorten a history as LlamaChat does.
      throw new GenerationRequestError("prompt_too_long", `the chat is ${rendered.length} tokens; with logprobs it must fit the context of ${this.info.contextLength}`);
    }
    return await this.#generate(parameters, {
      promptTokens: rendered.length,
      prefill: fits ? rendered.slice(0, -1) : undefined,
      trimStart: true,
      run: async (slot, { signal, onTextChunk, sampling, grammar, logprobs }) => {
        if (logprobs) {
          return generateWithLogprobs({ model: this.#model, sequence: slot.sequence, input: rendered, sampling, grammar, top: logprobs.top, signal, onTextChunk, onLogprob: logprobs.onLogprob });
        }
        const { metadata } = await slot.chat.generateResponse(history, {
          ...samplingOptions(sampling),
          ...(grammar ? { grammar } : {}),
          signal,
          stopOnAbortSignal: true,
          onTextChunk,
        });
        return metadata;
      },
    });
  }

  dispose(options: { force?: boolean } = {}): Promise<void> {
    if (options.force) for (const controller of this.#controllers) controller.abort(new GenerationEngineDisposedError());
    this.#disposing ??= (async () => {
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
      await this.#context.dispose();
      await this.#model.dispose();
    })();
    return this.#disposing;
  }

  #renderChat(history: ChatHistoryItem[]): Token[] {
    return this.#chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(this.#model.tokenizer);
  }

  #ensureOpen(): void {
    if (this.#disposing) throw new GenerationEngineDisposedError();
  }

  async #generate(common: GenerateCommon, job: Job): Promise<GenerationResult> {
    const sampling = resolveSampling(common, this.#defaults);
    checkOutputFormat(common.format);
    const started = performance.now();
    const grammar = common.format ? await grammarFor(this.#model.llama, common.format) : undefined;
    // Aborted by the caller's signal, by a stop string, or by a forced dispose; it stops the evaluation.
    const controller = new AbortController();
    const onCallerAbort = () => controller.abort(common.signal?.reason);
    if (common.signal?.aborted) controller.abort(common.signal.reason);
    else common.signal?.addEventListener("abort", onCallerAbort, { once: true });
    this.#controllers.add(controller);

    const stopFilter = new StopFilter(sampling.stop);
    let text = "";
    // Tokens sampled, read from the sequence's meter: LlamaChat's onToken re-tokenizes the reply's
    // start, so counting its tokens would be wrong.
    let meter: { sequence: LlamaContextSequence; start: number } | undefined;
    let cachedTokens = 0;
    let firstTokenMs: number | null = null;
    let leading = job.trimStart;
    let stopped = false;
    let done = false;
    // The first piece goes to the caller at once (time to first token), the next ones after the
    // next batch was dispatched (after-dispatch.ts), the pieces of one turn together, and what is
    // left when the request ends. An onToken that throws is reported and the generation goes on,
    // as node-llama-cpp does with its own callbacks (safeEventCallback).
    let pending = "";
    const deliverPending = () => {
      const piece = pending;
      pending = "";
      if (piece === "" || done) return;
      text += piece;
      try {
        common.onToken?.(piece);
      } catch (error) {
        console.error(error);
      }
    };
    const deliver = (piece: string) => {
      if (piece === "") return;
      pending += piece;
      if (firstTokenMs !== null) return this.#afterDispatch.defer(deliverPending);
      firstTokenMs = performance.now() - started;
      deliverPending();
    };
    const logprobs: TokenLogprob[] | undefined = common.logprobs ? [] : undefined;
    // From its first token on, the request generates a token per batch: batches wait for it
    // (full-batches.ts) until its evaluation ends (never again after: a late chunk does not count).
    let evaluated = false;
    const generating = () => evaluated || this.#fullBatches.generating(controller);
    const hooks: Hooks = {
      signal: controller.signal,
      sampling,
      grammar,
      logprobs: common.logprobs && logprobs ? { top: common.logprobs.top, onLogprob: (e) => (generating(), !done && logprobs.push(e)) } : undefined,
      // Nothing reaches the caller after the end: an aborted evaluation may still decode a token.
      onTextChunk: (chunk) => {
        generating();
        if (done || controller.signal.aborted) return;
        if (leading) {
          chunk = chunk.trimStart();
          if (chunk === "") return;
          leading = false;
        }
        const filtered = stopFilter.push(chunk);
        deliver(filtered.text);
        if (filtered.stopped) {
          stopped = true;
          controller.abort();
        }
      },
    };
    const result = (finishReason: FinishReason): GenerationResult => {
      deliverPending();
      return {
        text,
        tokens: meter ? meter.sequence.tokenMeter.getState().usedOutputTokens - meter.start : 0,
        promptTokens: job.promptTokens,
        cachedTokens,
        finishReason,
        ...(logprobs ? { logprobs } : {}),
        ms: performance.now() - started,
        firstTokenMs,
      };
    };
    const interrupted = () => result(stopped ? "stop" : "abort");

    const request = (async (): Promise<GenerationResult> => {
      const prompt = job.prefill;
      const busy = this.#generating > 0;
      // Of equals, the lowest sequence: the generating sequences' ids stay consecutive, so that
      // llama.cpp decodes their batch in one ubatch (full-batches.ts). Scores are whole numbers.
      const lowest = (s: Slot) => s.index / (this.#pool.capacity + 1);
      const slot = await this.#pool.acquire(controller.signal, prompt ? (s) => reuseScore(s.sequence, prompt, busy) - lowest(s) : (s) => -lowest(s));
      if (slot === undefined) return interrupted();
      if (this.#generating++ === 0) this.#trimFreeSequences(prompt);
      meter = { sequence: slot.sequence, start: slot.sequence.tokenMeter.getState().usedOutputTokens };
      cachedTokens = prompt ? commonPrefixLength(slot.sequence.contextTokens, prompt) : 0;
      const evaluation = this.#track(
        (async () => {
          try {
            await prefill(slot.sequence, job.prefill, controller.signal);
            if (controller.signal.aborted) return { stopReason: "abort" };
            return await job.run(slot, hooks);
          } finally {
            evaluated = true;
            this.#fullBatches.stopped(controller);
            this.#generating--;
            this.#pool.release(slot);
          }
        })(),
      );
      try {
        const outcome = await untilAborted(evaluation, controller.signal);
        if (outcome === ABORTED || controller.signal.aborted) return interrupted();
        deliver(stopFilter.flush());
        return result(finishReasonOf(outcome.stopReason));
      } catch (error) {
        if (controller.signal.aborted) return interrupted();
        throw error;
      }
    })();
    try {
      return await this.#track(request);
    } finally {
      done = true;
      common.signal?.removeEventListener("abort", onCallerAbort);
      this.#controllers.delete(controller);
    }
  }

  /**
   * Erases what the free sequences hold beyond the start they share with `prompt` (all of it when
   * they share nothing): requests that come while this one runs, with the same system prompt,
   * then find it evaluated and nothing to erase. Each serves again once its erase is done.
   */
  #trimFreeSequences(prompt: readonly Token[] | undefined): void {
    const keep = (s: Slot) => (prompt ? commonPrefixLength(s.sequence.contextTokens, prompt) : 0);
    for (const slot of this.#pool.takeFree((s) => s.sequence.nextTokenIndex > keep(s))) {
      const { sequence } = slot;
      const shared = Math.min(keep(slot), sequence.nextTokenIndex - 1);
      const erase = shared >= MIN_KEPT_PREFIX ? sequence.eraseContextTokenRanges([{ start: shared, end: sequence.nextTokenIndex }]) : sequence.clearHistory();
      // A failed erase leaves the tokens, which the next request erases itself.
      this.#pool.release(slot, this.#track(erase.catch(() => {})));
    }
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    const settled = promise.then(
      () => {},
      () => {},
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    return promise;
  }
}

function samplingOptions(sampling: ResolvedSampling) {
  return {
    maxTokens: sampling.maxTokens,
    temperature: sampling.temperature,
    topP: sampling.topP,
    topK: sampling.topK,
    seed: sampling.seed,
    repeatPenalty: sampling.repeatPenalty,
  };
}

/**
 * Evaluates the prompt in chunks, checking the signal between them, and leaves its last chunk
 * (at most PREFILL_CHUNK tokens and the last token) to the generator, so that a short prompt is
 * one batch as without this. What the sequence already holds of the prompt is reused.
 */
async function prefill(sequence: LlamaContextSequence, tokens: Token[] | undefined, signal: AbortSignal): Promise<void> {
  if (tokens === undefined || tokens.length <= PREFILL_CHUNK) return;
  await sequence.adaptStateToTokens(tokens, false);
  while (!signal.aborted && tokens.length - sequence.nextTokenIndex > PREFILL_CHUNK) {
    const from = sequence.nextTokenIndex;
    await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(from, from + PREFILL_CHUNK));
    if (sequence.nextTokenIndex <= from) return; // the context shifted: let the generator handle it
  }
}

/**
 * How well a free sequence suits a prompt: the more of the prompt's start it holds, the better,
 * and of equals one with nothing else to erase. While others generate (`busy`), one with nothing
 * to erase comes first: its request need not wait for the context's lock.
 */
function reuseScore(sequence: LlamaContextSequence, prompt: readonly Token[], busy: boolean): number {
  const held = sequence.contextTokens;
  // A start shorter than MIN_KEPT_PREFIX (a few tokens such as "1.") saves nothing worth a
  // sequence out of id order: one id apart from those generating makes llama.cpp decode every
  // batch in two passes over the weights while it generates (full-batches.ts), measured 1.46x
  // slower at 4 streams for a reuse of 3 tokens.
  const sharedStart = commonPrefixLength(held, prompt);
  const shared = sharedStart >= MIN_KEPT_PREFIX ? sharedStart : 0;
  const nothingToErase = sharedStart === held.length ? 1 : 0;
  return (busy ? nothingToErase * (prompt.length + 1) * 2 : 0) + shared * 2 + nothingToErase;
}

function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** The evaluation's outcome, or ABORTED as soon as the signal aborts (the evaluation goes on briefly). */
function untilAborted<T>(evaluation: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    evaluation.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function finishReasonOf(stopReason: string): FinishReason {
  if (stopReason === "maxTokens") return "length";
  if (stopReason === "abort") return "abort";
  return "stop"; // end-of-generation token, the template's stop text, or a stop string
}

function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  if (messages.length === 0) throw new GenerationRequestError("invalid_parameter", "messages must hold at least one message");
  const history: ChatHistoryItem[] = messages.map(({ role, content }): ChatHistoryItem => {
    if (typeof content !== "string") throw new GenerationRequestError("invalid_parameter", "every message's content must be a string");
    if (role === "system") return { type: "system", text: content };
    if (role === "user") return { type: "user", text: content };
    if (role === "assistant") return { type: "model", response: [content] };
    throw new GenerationRequestError("invalid_parameter", `unknown message role ${JSON.stringify(role)} (system, user or assistant)`);
  });
  // The reply is a new assistant turn, or the continuation of a last assistant message.
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}
