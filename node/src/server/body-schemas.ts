/**
 * The request bodies of the API (zod 4). Native routes are strict (an unknown field is a 400, so a
 * typo like `max_tokens` is caught); OpenAI routes accept and ignore fields they do not use, as
 * OpenAI's clients send many.
 */
import { z } from "zod";
import { imageItem } from "./image-inputs.ts";

const MAX_TEXT = 200_000;
const text = z.string().max(MAX_TEXT);
const stop = z.union([z.string().min(1), z.array(z.string().min(1)).max(8)]);

/** Texts, or images as `{ "image": "<data URL or base64>" }` items (image-inputs.ts). */
export const embedBody = z.strictObject({
  input: z.union([text, imageItem, z.array(z.union([text, imageItem])).min(1).max(512)]),
});

const nativeSampling = {
  maxTokens: z.number().int().min(1).max(100_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: z.number().int().min(1).max(1000).optional(),
  repeatPenalty: z.number().min(0).max(10).optional(),
  seed: z.number().int().min(0).optional(),
  stop: stop.optional(),
  stream: z.boolean().optional(),
};

export const generateBody = z.strictObject({
  prompt: text.min(1),
  ...nativeSampling,
  /** JSON output enforced while decoding: "json" (any object) or a JSON schema (structured-output.ts). */
  format: z.union([z.literal("json"), z.record(z.string(), z.unknown())], { error: 'format must be "json" or a JSON schema object' }).optional(),
});

// OpenAI shapes: null means "not given", as in OpenAI's API.
const opt = <T extends z.ZodType>(t: T) => t.nullish();
const openaiSampling = {
  model: opt(z.string()),
  max_tokens: opt(z.number().int().min(1).max(100_000)),
  temperature: opt(z.number().min(0).max(2)),
  top_p: opt(z.number().gt(0).max(1)),
  seed: opt(z.number().int()),
  stop: opt(stop),
  stream: opt(z.boolean()),
  stream_options: opt(z.looseObject({ include_usage: opt(z.boolean()) })),
  n: opt(z.literal(1, { error: "only n = 1 is supported" })),
};

const contentPart = z.looseObject({ type: z.literal("text", { error: "only text content is supported" }), text });

export const openaiChatBody = z.looseObject({
  ...openaiSampling,
  max_completion_tokens: opt(z.number().int().min(1).max(100_000)),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(["system", "developer", "user", "assistant", "tool"]),
        content: z.union([text, z.array(contentPart)]).nullable(),
      }),
    )
    .min(1),
});

export const openaiCompletionBody = z.looseObject({
  ...openaiSampling,
  prompt: z.union([text.min(1), z.array(text.min(1)).length(1, { error: "only one prompt per request is supported" })]),
  echo: opt(z.literal(false, { error: "echo is not supported" })),
});

export const openaiEmbeddingBody = z.looseObject({
  model: opt(z.string()),
  input: z.union([text, imageItem, z.array(z.union([text, imageItem])).min(1).max(2048)], {
    error: 'input must be a string, an array of strings, or images as {"image": "data:image/...;base64,..."} items',
  }),
  encoding_format: opt(z.enum(["float", "base64"])),
  dimensions: opt(z.number().int().min(1)),
});
