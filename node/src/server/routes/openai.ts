/**
 * The OpenAI-compatible API: POST /v1/chat/completions and /v1/completions (JSON, or SSE chunks
 * ending with `data: [DONE]`), POST /v1/embeddings (float or base64), GET /v1/models. Any OpenAI
 * client works with base URL http://host:port/v1. Provenance travels in the x-ns-llm-* headers
 * (x-ns-llm-source: search marks a degraded answer) and in an extra `ns_llm` field.
 */
import { randomUUID } from "node:crypto";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { ChatMessage } from "../../inference/index.ts";
import type { EmbeddingService, GenerationInput, GenerationOutcome, GenerationService, ModelListing } from "../../serving/index.ts";
import { openaiChatBody, openaiCompletionBody, openaiEmbeddingBody } from "../body-schemas.ts";
import { clientSignal, stopList } from "../client-signal.ts";
import { provenanceHeaders } from "../provenance-headers.ts";
import { openSse } from "../sse.ts";
import { parseBody } from "../validate.ts";
import { vectorJson } from "../vectors-json.ts";

export type OpenAiRoutesOptions = {
  generation: GenerationService;
  embedding: EmbeddingService;
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
const usage = (o: GenerationOutcome) => ({ prompt_tokens: o.promptTokens, completion_tokens: o.tokens, total_tokens: o.promptTokens + o.tokens });
const now = () => Math.floor(Date.now() / 1000);

export const openAiRoutes: FastifyPluginAsync<OpenAiRoutesOptions> = async (app, { generation, embedding, models }) => {
  /** Chat and completions differ only in their shapes; this runs either, JSON or streamed. */
  async function serveGeneration(
    reply: FastifyReply,
    route: "/v1/chat/completions" | "/v1/completions",
    input: GenerationInput,
    body: Sampling,
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
    };
    const provenance = (o: GenerationOutcome) => ({
      source: o.source, manifest: o.manifest?.cid ?? null, auditSeq: o.auditSeq, ...(o.fallbackReason ? { reason: o.fallbackReason } : {}),
      ...(o.validation ? { validation: o.validation } : {}),
    });

    if (!body.stream) {
      const o = await generation.generate({ ...base, signal: clientSignal(reply) });
      reply.headers(provenanceHeaders({ model: o.model, manifest: o.manifest?.cid ?? null, auditSeq: o.auditSeq, source: o.source }));
      const choice = chat
        ? { index: 0, message: { role: "assistant", content: o.text, refusal: null }, logprobs: null, finish_reason: finishReason(o) }
        : { index: 0, text: o.text, logprobs: null, finish_reason: finishReason(o) };
      return { id, object, created, model: o.model, choices: [choice], usage: usage(o), ns_llm: provenance(o) };
    }

    const chunkObject = chat ? "chat.completion.chunk" : "text_completion";
    const signal = clientSignal(reply);
    const sse = openSse(reply);
    let model = "";
    const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      id, object: chunkObject, created, model, choices: [{ index: 0, logprobs: null, finish_reason: null, ...choice }], ...extra,
    });
    try {
      const o = await generation.generate({
        ...base,
        signal,
        onStart: (origin) => {
          model = origin.model;
          sse.setHeaders(provenanceHeaders({ model: origin.model, manifest: origin.manifest?.cid ?? null, source: origin.source }));
          if (chat) sse.send(chunk({ delta: { role: "assistant", content: "" } }));
        },
        onToken: (token) => sse.send(chunk(chat ? { delta: { content: token } } : { text: token })),
      });
      sse.send(chunk(chat ? { delta: {}, finish_reason: finishReason(o) } : { text: "", finish_reason: finishReason(o) }, { ns_llm: provenance(o) }));
      if (body.stream_options?.include_usage) sse.send({ id, object: chunkObject, created, model, choices: [], usage: usage(o) });
      sse.send("[DONE]");
      sse.end();
    } catch (error) {
      sse.fail(error);
    }
  }

  app.post("/v1/chat/completions", async (request, reply) => {
    const body = parseBody(openaiChatBody, request.body);
    const messages: ChatMessage[] = body.messages.map((m) => ({
      role: m.role === "developer" ? "system" : m.role,
      content: m.content === null ? "" : typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join(""),
    }));
    return serveGeneration(reply, "/v1/chat/completions", { kind: "chat", messages }, body);
  });

  app.post("/v1/completions", async (request, reply) => {
    const body = parseBody(openaiCompletionBody, request.body);
    const prompt = typeof body.prompt === "string" ? body.prompt : body.prompt[0]!;
    return serveGeneration(reply, "/v1/completions", { kind: "complete", prompt }, body);
  });

  app.post("/v1/embeddings", async (request, reply) => {
    const body = parseBody(openaiEmbeddingBody, request.body);
    const texts = typeof body.input === "string" ? [body.input] : body.input;
    const r = await embedding.embed({
      texts,
      route: "/v1/embeddings",
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

  app.get("/v1/models", async () => ({
    object: "list",
    data: models().map((m) => ({ id: m.name, object: "model", created: 0, owned_by: "ns-llm", ns_llm: { role: m.role, manifest: m.manifest } })),
  }));
};
