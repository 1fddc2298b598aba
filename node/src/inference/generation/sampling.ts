/**
 * Turns the engine's sampling options (the request's, over the engine's governed defaults, over
 * llama.cpp's usual values) into node-llama-cpp's generation options, refusing values that make
 * no sense with a `GenerationRequestError` that names the field.
 */
import type { LLamaContextualRepeatPenalty } from "node-llama-cpp";
import type { SamplingOptions } from "../types.ts";
import { GenerationRequestError } from "./errors.ts";

/** Used for whatever neither the request nor the engine's defaults set. */
export const fallbackSampling = {
  temperature: 0.8,
  topP: 0.95,
  topK: 40,
  repeatPenalty: 1,
  maxTokens: 256,
} as const satisfies SamplingOptions;

export type ResolvedSampling = {
  temperature: number;
  topP: number;
  topK: number;
  seed: number | undefined;
  maxTokens: number;
  repeatPenalty: false | LLamaContextualRepeatPenalty;
  /** Stop strings (non-empty), applied by the engine's StopFilter. */
  stop: string[];
};

/** How many recent tokens the repeat penalty looks at (llama.cpp's default). */
const REPEAT_PENALTY_LAST_TOKENS = 64;
const MAX_STOP_STRINGS = 16;

export function resolveSampling(request: SamplingOptions, defaults: SamplingOptions = {}): ResolvedSampling {
  const pick = <K extends keyof SamplingOptions>(key: K) => (request[key] !== undefined ? request[key] : defaults[key]);
  const temperature = pick("temperature") ?? fallbackSampling.temperature;
  const topP = pick("topP") ?? fallbackSampling.topP;
  const topK = pick("topK") ?? fallbackSampling.topK;
  const repeatPenalty = pick("repeatPenalty") ?? fallbackSampling.repeatPenalty;
  const maxTokens = pick("maxTokens") ?? fallbackSampling.maxTokens;
  const seed = pick("seed");
  const stop = pick("stop");

  check("temperature", temperature, Number.isFinite(temperature) && temperature >= 0 && temperature <= 100, "a number >= 0");
  check("topP", topP, Number.isFinite(topP) && topP > 0 && topP <= 1, "a number in (0, 1]");
  check("topK", topK, Number.isInteger(topK) && topK >= 0, "an integer >= 0 (0: no limit)");
  check("repeatPenalty", repeatPenalty, Number.isFinite(repeatPenalty) && repeatPenalty > 0, "a number > 0 (1: none)");
  check("maxTokens", maxTokens, Number.isInteger(maxTokens) && maxTokens >= 1, "an integer >= 1");
  if (seed !== undefined) check("seed", seed, Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff, "an integer in [0, 2^32)");
  if (stop !== undefined) {
    const ok = Array.isArray(stop) && stop.length <= MAX_STOP_STRINGS && stop.every((s) => typeof s === "string");
    check("stop", stop, ok, `an array of at most ${MAX_STOP_STRINGS} strings`);
  }

  return {
    temperature,
    topP,
    topK,
    seed,
    maxTokens,
    repeatPenalty: repeatPenalty === 1 ? false : { penalty: repeatPenalty, lastTokens: REPEAT_PENALTY_LAST_TOKENS },
    stop: (stop ?? []).filter((s) => s.length > 0),
  };
}

function check(field: string, value: unknown, ok: boolean, expected: string): void {
  if (!ok) throw new GenerationRequestError("invalid_parameter", `${field} must be ${expected}, got ${JSON.stringify(value)}`);
}
