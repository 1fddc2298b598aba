/**
 * The OpenAI-compatible API: POST /v1/chat/completions and /v1/completions (JSON, or SSE chunks
 * ending with `data: [DONE]`), POST /v1/embeddings (float or base64), GET /v1/models. Any OpenAI
 * client works with base URL http://host:port/v1. Provenance travels in the x-ns-llm-* headers
 * (x-ns-llm-source: search marks a degraded answer) and in an extra `ns_llm` field.
 */
import { randomUUID } from "node:crypto";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { ChatMessage } from "../../inference/index.ts";
import type { OutputFormat } from "../../inference/index.ts";
import { holdBackToolCall, planTools, UnavailableError, type VisionService, type EmbeddingService, type GenerationInput, type GenerationOutcome, type GenerationService, type ModelListing, type ToolCall, type ToolChatMessage, type ToolPlan } from "../../serving/index.ts";
import { openaiChatBody, openaiCompletionBody, openaiEmbeddingBody } from "../body-schemas.ts";
import { openaiChatExtras, openaiCompletionExtras } from "../compat-schemas.ts";
import { ApiError } from "../errors.ts";
import { refuseChatImages, splitEmbeddingInput } from "../image-inputs.ts";
import { clientSignal, stopList } from "../client-signal.ts";
import { provenanceHeaders } from "../provenance-headers.ts";
import { openSse } from "../sse.ts";
import { parseBody } from "../validate.ts";
import { vectorJson } from "../vectors-json.ts";

export type OpenAiRoutesOptions = {
  generation: GenerationService;
  embedding: EmbeddingService;
  /** The vision role (image inputs of /v1/embeddings); absent: images are 503 vision_unavailable. */
  vision?: VisionService;
  /** The models loaded now, for GET /v1/models. */
  models: () => ModelListing[];
};

type Sampling = {
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
};

const finishReason = (o: GenerationOutcome): "stop" | "length" | "content_filter" =>
  o.finishReason === "stop" || o.finishReason === "content_filter" ? o.finishReason : "length";
const toolCallsJson = (call: ToolCall) => [{ id: call.id, type: "function", function: { name: call.name, arguments: JSON.stringify(call.arguments) } }];

/** What a chat request adds to a generation: its output format and its tools (absent on completions). */
type ChatExtras = { format: OutputFormat | undefined; tools: ToolPlan | undefined; instructions: string | undefined; logprobs: { top: number } | undefined };

/** Chat's logprobs shape, or null (not asked, or an answer from search). */
const chatLogprobs = (o: GenerationOutcome) =>
  o.logprobs
    ? { content: o.logprobs.map((e) => ({ token: e.token, logprob: e.logprob, bytes: e.bytes, top_logprobs: e.top })), refusal: null }
    : null;
/** The legacy completions shape: parallel lists. */
const completionLogprobs = (o: GenerationOutcome) => {
  if (!o.logprobs) return null;
  let offset = 0;
  const text_offset = o.logprobs.map((e) => ((offset += e.token.length), offset - e.token.length));
  return {
    tokens: o.logprobs.map((e) => e.token),
    token_logprobs: o.logprobs.map((e) => e.logprob),
    top_logprobs: o.logprobs.map((e) => Object.fromEntries(e.top.map((t) => [t.token, t.logprob]))),
    text_offset,
  };
};
// prompt_tokens_details.cached_tokens: the prompt's start the model held already (OpenAI's field).
const usage = (o: GenerationOutcome) => ({
  prompt_tokens: o.promptTokens,
  completion_tokens: o.tokens,
  total_tokens: o.promptTokens + o.tokens,
  ...(o.cachedTokens !== undefined ? { prompt_tokens_details: { cached_tokens: o.cachedTokens } } : {}),
});
const now = () => Math.floor(Date.now() / 1000);

export const openAiRoutes: FastifyPluginAsync<OpenAiRoutesOptions> = async (app, { generation, embedding, vision, models }) => {
  /** Chat and completions differ only in their shapes; this runs either, JSON or streamed. */
  async function serveGeneration(
    reply: FastifyReply,
    route: "/v1/chat/completions" | "/v1/completions",
    input: GenerationInput,
    body: Sampling,
    extras: ChatExtras = { format: undefined, tools: undefined, instructions: undefined, logprobs: undefined },
  ): Promise<unknown> {
    const chat = route === "/v1/chat/completions";
    const id = `${chat ? "chatcmpl" : "cmpl"}-${randomUUID()}`;
    const created = now();
    const object = chat ? "chat.completion" : "text_completion";
    const base = {
      ...input,
      route,
      stream: body.stream === true,
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
      sampling: { temperature: body.temperature ?? undefined, topP: body.top_p ?? undefined, seed: body.seed ?? undefined, stop: stopList(body.stop) },
      format: extras.format,
      instructions: extras.instructions,
      logprobs: extras.logprobs,
    };
    const logprobsOf = chat ? chatLogprobs : completionLogprobs;
    const plan = extras.tools;
    const provenance = (o: GenerationOutcome) => ({
      source: o.source, manifest: o.manifest?.cid ?? null, auditSeq: o.auditSeq, ...(o.fallbackReason ? { reason: o.fallbackReason } : {}),
      ...(o.validation ? { validation: o.validation } : {}),
    });

    if (!body.stream) {
      const o = await generation.generate({ ...base, signal: clientSignal(reply) });
      reply.headers(provenanceHeaders({ model: o.model, manifest: o.manifest?.cid ?? null, auditSeq: o.auditSeq, source: o.source }));
      const call = plan?.mayCall ? plan.parse(o.text) : undefined;
      const choice = call
        ? { index: 0, message: { role: "assistant", content: null, refusal: null, tool_calls: toolCallsJson(call) }, logprobs: logprobsOf(o), finish_reason: "tool_calls" }
        : chat
          ? { index: 0, message: { role: "assistant", content: o.text, refusal: null }, logprobs: logprobsOf(o), finish_reason: finishReason(o) }
          : { index: 0, text: o.text, logprobs: logprobsOf(o), finish_reason: finishReason(o) };
      return { id, object, created, model: o.model, choices: [choice], usage: usage(o), ns_llm: provenance(o) };
    }

    const chunkObject = chat ? "chat.completion.chunk" : "text_completion";
    const signal = clientSignal(reply);
    const sse = openSse(reply);
    let model = "";
    const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      id, object: chunkObject, created, model, choices: [{ index: 0, logprobs: null, finish_reason: null, ...choice }], ...extra,
    });
    const sendText = (token: string) => sse.send(chunk(chat ? { delta: { content: token } } : { text: token }));
    // An answer that may be a tool call is held back while it still looks like one (always, when
    // a call is enforced), then sent as one tool_calls delta, or as text after all.
    const hold = holdBackToolCall(plan, sendText);
    try {
      const o = await generation.generate({
        ...base,
        signal,
        onStart: (origin) => {
          model = origin.model;
          sse.setHeaders(provenanceHeaders({ model: origin.model, manifest: origin.manifest?.cid ?? null, source: origin.source }));
          if (chat) sse.send(chunk({ delta: { role: "assistant", content: "" } }));
        },
        onToken: (token) => hold.push(token),
      });
      const call = hold.end();
      if (call) sse.send(chunk({ delta: { tool_calls: toolCallsJson(call).map((c, index) => ({ index, ...c })) } }));
      const finish = call ? "tool_calls" : finishReason(o);
      // The answer's logprobs come whole with the last chunk (pieces are batched and filtered on the way).
      const last = { finish_reason: finish, logprobs: logprobsOf(o) };
      sse.send(chunk(chat ? { delta: {}, ...last } : { text: "", ...last }, { ns_llm: provenance(o) }));
      if (body.stream_options?.include_usage) sse.send({ id, object: chunkObject, created, model, choices: [], usage: usage(o) });
      sse.send("[DONE]");
      sse.end();
    } catch (error) {
      sse.fail(error);
    }
  }

  app.post("/v1/chat/completions", async (request, reply) => {
    refuseChatImages(request.body);
    const body = parseBody(openaiChatBody, request.body);
    const extras = parseBody(openaiChatExtras, request.body);
    if (!extras.logprobs && (extras.top_logprobs ?? 0) > 0) throw new ApiError(400, "invalid_parameter", "top_logprobs needs logprobs: true");
    const history: ToolChatMessage[] = body.messages.map((m, i): ToolChatMessage => {
      const x = extras.messages[i]!;
      const content = m.content === null ? "" : typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join("");
      if (m.role === "tool") {
        if (!x.tool_call_id) throw new ApiError(400, "invalid_request", `messages.${i}: a tool message needs the tool_call_id of the call it answers`);
        return { role: "tool", content, toolCallId: x.tool_call_id };
      }
      if (m.role === "assistant" && x.tool_calls?.length) {
        return { role: "assistant", content, toolCalls: x.tool_calls.map((c) => ({ id: c.id ?? undefined, name: c.function.name, arguments: parseArguments(c.function.arguments, i) })) };
      }
      return { role: m.role === "developer" ? "system" : m.role, content };
    });
    const choice = extras.tool_choice;
    const plan = planTools(
      extras.tools?.map((t) => ({ name: t.function.name, description: t.function.description ?? undefined, parameters: t.function.parameters ?? { type: "object", properties: {} } })),
      choice === null || choice === undefined ? undefined : typeof choice === "string" ? choice : { name: choice.function.name },
      history,
    );
    const messages: ChatMessage[] = plan.messages;
    const rf = extras.response_format;
    const requested: OutputFormat | undefined =
      rf?.type === "json_object" ? { type: "json_object" } : rf?.type === "json_schema" ? { type: "json_schema", schema: rf.json_schema.schema ?? {} } : undefined;
    return serveGeneration(reply, "/v1/chat/completions", { kind: "chat", messages }, body, {
      // An enforced tool call has its own grammar; otherwise the requested format holds.
      format: plan.format ?? requested,
      tools: plan,
      instructions: plan.instructions,
      logprobs: extras.logprobs ? { top: extras.top_logprobs ?? 0 } : undefined,
    });
  });

  app.post("/v1/completions", async (request, reply) => {
    const body = parseBody(openaiCompletionBody, request.body);
    const extras = parseBody(openaiCompletionExtras, request.body);
    const prompt = typeof body.prompt === "string" ? body.prompt : body.prompt[0]!;
    const logprobs = extras.logprobs === null || extras.logprobs === undefined ? undefined : { top: extras.logprobs };
    return serveGeneration(reply, "/v1/completions", { kind: "complete", prompt }, body, { format: undefined, tools: undefined, instructions: undefined, logprobs });
  });

  app.post("/v1/embeddings", async (request, reply) => {
    const body = parseBody(openaiEmbeddingBody, request.body);
    const split = splitEmbeddingInput(body.input);
    if ("images" in split) return embedImages(reply, split.images, body.encoding_format === "base64", body.dimensions ?? undefined);
    const texts = split.texts;
    const r = await embedding.embed({
      texts,
      route: "/v1/embeddings",
      signal: clientSignal(reply),
      parameters: { encoding: body.encoding_format ?? "float" },
      ...(body.dimensions ? { dimensions: body.dimensions } : {}),
    });
    const manifest = r.manifest.cid ?? null;
    reply.headers(provenanceHeaders({ model: r.model, manifest, auditSeq: r.auditSeq }));
    const base64 = body.encoding_format === "base64";
    // Token counts are not reported by the batcher; characters / 4 is OpenAI's own rule of thumb.
    const promptTokens = texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
    // { object, data: [{ object, index, embedding }], model, usage, ns_llm }, float vectors written
    // directly (vectors-json.ts).
    const data = r.vectors.map((v, index) => {
      const embedding = base64 ? JSON.stringify(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64")) : vectorJson(v);
      return `{"object":"embedding","index":${index},"embedding":${embedding}}`;
    });
    const rest = JSON.stringify({ model: r.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens }, ns_llm: { manifest, auditSeq: r.auditSeq } });
    reply.type("application/json; charset=utf-8");
    return `{"object":"list","data":[${data.join(",")}],${rest.slice(1)}`;
  });

  /** /v1/embeddings for images: the vision role's vectors, in the same list shape as texts'. */
  async function embedImages(reply: FastifyReply, images: string[], base64: boolean, dimensions: number | undefined) {
    if (!vision) throw new UnavailableError("vision_unavailable", "this node serves no vision role");
    const r = await vision.embed({ images, route: "/v1/embeddings", signal: clientSignal(reply) });
    if (dimensions !== undefined && dimensions !== r.dimensions) throw new ApiError(400, "invalid_request", `dimensions: the vision model gives ${r.dimensions}-dimensional vectors`);
    const manifest = r.manifest.cid ?? null;
    reply.headers(provenanceHeaders({ model: r.model, manifest, auditSeq: r.auditSeq }));
    const data = r.vectors.map((v, index) => {
      const embedding = base64 ? JSON.stringify(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64")) : vectorJson(v);
      return `{"object":"embedding","index":${index},"embedding":${embedding}}`;
    });
    const rest = JSON.stringify({ model: r.model, usage: { prompt_tokens: 0, total_tokens: 0 }, ns_llm: { manifest, auditSeq: r.auditSeq, paired: r.paired } });
    reply.type("application/json; charset=utf-8");
    return `{"object":"list","data":[${data.join(",")}],${rest.slice(1)}`;
  }

  app.get("/v1/models", async () => ({
    object: "list",
    data: models().map((m) => ({ id: m.name, object: "model", created: 0, owned_by: "ns-llm", ns_llm: { role: m.role, manifest: m.manifest } })),
  }));
};

/** Arguments of a call in the history: OpenAI sends them as a JSON string of an object. */
function parseArguments(json: string, index: number): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ApiError(400, "invalid_request", `messages.${index}.tool_calls: function.arguments must be a JSON object in a string, got ${JSON.stringify(json.slice(0, 80))}`);
}
