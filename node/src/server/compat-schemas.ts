/**
 * Request bodies of the compatibility features (zod 4): OpenAI's structured output, tools and
 * logprobs fields (read beside body-schemas.ts's chat body), and the Ollama API's bodies. Like
 * OpenAI's, Ollama's bodies are loose: its clients send fields this node does not use.
 */
import { z } from "zod";

const MAX_TEXT = 200_000;
const text = z.string().max(MAX_TEXT);
const jsonObject = z.record(z.string(), z.unknown());
const opt = <T extends z.ZodType>(t: T) => t.nullish();

const functionTool = z.looseObject({
  type: z.literal("function", { error: "only function tools are supported" }),
  function: z.looseObject({
    name: z.string(),
    description: opt(z.string().max(10_000)),
    parameters: opt(jsonObject),
  }),
});

/** The fields of an OpenAI chat body that body-schemas.ts's openaiChatBody lets through unread. */
export const openaiChatExtras = z.looseObject({
  response_format: opt(
    z.discriminatedUnion("type", [
      z.looseObject({ type: z.literal("text") }),
      z.looseObject({ type: z.literal("json_object") }),
      z.looseObject({
        type: z.literal("json_schema"),
        json_schema: z.looseObject({ name: z.string().max(64), description: opt(z.string()), schema: opt(jsonObject), strict: opt(z.boolean()) }),
      }),
    ], { error: "response_format.type must be text, json_object or json_schema" }),
  ),
  tools: opt(z.array(functionTool).max(64)),
  tool_choice: opt(
    z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) })], {
      error: 'tool_choice must be "none", "auto", "required" or {"type": "function", "function": {"name": ...}}',
    }),
  ),
  parallel_tool_calls: opt(z.boolean()),
  // OpenAI's deprecated forms of tools: refused rather than silently ignored.
  functions: z.null({ error: "functions is OpenAI's deprecated form of tools: send tools" }).optional(),
  function_call: z.null({ error: "function_call is OpenAI's deprecated form of tool_choice: send tool_choice" }).optional(),
  logprobs: opt(z.boolean()),
  top_logprobs: opt(z.number().int().min(0).max(20)),
  messages: z.array(
    z.looseObject({
      tool_call_id: opt(z.string()),
      name: opt(z.string()),
      tool_calls: opt(
        z.array(
          z.looseObject({
            id: opt(z.string()),
            type: opt(z.literal("function")),
            function: z.looseObject({ name: z.string(), arguments: z.string() }),
          }),
        ),
      ),
    }),
  ),
});

/** The fields of an OpenAI completions body read here. */
export const openaiCompletionExtras = z.looseObject({
  logprobs: opt(z.number().int().min(0).max(5)),
  response_format: z.unknown().optional(),
});

// --- Ollama ---

/** Ollama's `options` (runner parameters): those this node uses; others are ignored, as Ollama does. */
const ollamaOptions = z.looseObject({
  num_predict: opt(z.number().int().min(-2).max(100_000)),
  temperature: opt(z.number().min(0).max(2)),
  top_p: opt(z.number().gt(0).max(1)),
  top_k: opt(z.number().int().min(0).max(1000)),
  repeat_penalty: opt(z.number().min(0).max(10)),
  seed: opt(z.number().int().min(0)),
  stop: opt(z.union([z.string().min(1), z.array(z.string().min(1)).max(8)])),
});

/** `format`: "json", or a JSON schema. */
const ollamaFormat = z.union([z.literal("json"), z.literal(""), jsonObject], { error: 'format must be "json" or a JSON schema object' });

const noImages = opt(z.array(z.string()).max(0, { error: "images are not supported by this node" }));

export const ollamaGenerateBody = z.looseObject({
  model: opt(z.string()),
  prompt: opt(text),
  suffix: opt(z.string().max(0, { error: "suffix (fill-in-the-middle) is not supported" })),
  system: opt(text),
  raw: opt(z.boolean()),
  format: opt(ollamaFormat),
  stream: opt(z.boolean()),
  options: opt(ollamaOptions),
  images: noImages,
  keep_alive: z.unknown().optional(),
  context: opt(z.array(z.number()).max(0, { error: "context (the token list of an earlier answer) is not supported; send the chat to /api/chat" })),
  logprobs: opt(z.boolean()),
  top_logprobs: opt(z.number().int().min(0).max(20)),
});

export const ollamaChatBody = z.looseObject({
  model: opt(z.string()),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(["system", "user", "assistant", "tool"]),
        content: text.nullish(),
        images: noImages,
        tool_name: opt(z.string()),
        tool_calls: opt(z.array(z.looseObject({ function: z.looseObject({ name: z.string(), arguments: z.union([jsonObject, z.string()]) }) }))),
      }),
    )
    .max(10_000),
  tools: opt(z.array(functionTool).max(64)),
  format: opt(ollamaFormat),
  stream: opt(z.boolean()),
  options: opt(ollamaOptions),
  keep_alive: z.unknown().optional(),
  logprobs: opt(z.boolean()),
  top_logprobs: opt(z.number().int().min(0).max(20)),
});

export const ollamaEmbedBody = z.looseObject({
  model: opt(z.string()),
  input: z.union([text, z.array(text).min(1).max(512)], { error: "input must be a string or an array of strings" }),
  truncate: opt(z.boolean()),
  dimensions: opt(z.number().int().min(1)),
  options: opt(z.looseObject({})),
  keep_alive: z.unknown().optional(),
});

/** Ollama's older /api/embeddings: one `prompt`. */
export const ollamaEmbeddingsBody = z.looseObject({ model: opt(z.string()), prompt: text, options: opt(z.looseObject({})) });

export const ollamaShowBody = z.looseObject({ model: opt(z.string()), name: opt(z.string()), verbose: opt(z.boolean()) });
