/**
 * The Ollama-compatible API, beside the OpenAI one, so that Ollama clients (the `ollama` npm and
 * Python packages, LangChain's ChatOllama, Open WebUI) talk to the node with base URL
 * http://host:port: POST /api/generate, /api/chat (NDJSON streams by default, as Ollama), POST
 * /api/embed and /api/embeddings, GET /api/tags, /api/ps, /api/version, POST /api/show.
 *
 * The same services answer as on every other route: the scheduler's limits, the governed caps and
 * deny patterns, the search fallback, the audit log. Provenance travels in the x-ns-llm-*
 * headers and an extra `ns_llm` field. The node serves the governed models whatever `model` a
 * request names (as on the OpenAI routes); the answer's `model` says which answered.
 *
 * Errors are Ollama's shape, `{"error": "<message>"}`, with the node's `code` beside it: Ollama
 * clients show `error` as the message (an object there would print as [object Object]).
 */
import path from "node:path";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { ChatMessage, OutputFormat } from "../../inference/index.ts";
import type { EmbeddingService, GenerationInput, GenerationOutcome, GenerationService, ModelDetails, ToolCall, ToolChatMessage } from "../../serving/index.ts";
import { holdBackToolCall, planTools } from "../../serving/index.ts";
import { clientSignal, stopList } from "../client-signal.ts";
import { ollamaChatBody, ollamaEmbedBody, ollamaEmbeddingsBody, ollamaGenerateBody, ollamaShowBody } from "../compat-schemas.ts";
import { ApiError, toApiError } from "../errors.ts";
import { refuseOllamaImages } from "../image-inputs.ts";
import { openNdjson } from "../ndjson.ts";
import { provenanceHeaders } from "../provenance-headers.ts";
import { parseBody } from "../validate.ts";
import { vectorJson, vectorsJson } from "../vectors-json.ts";

export type OllamaRoutesOptions = {
  generation: GenerationService;
  embedding: EmbeddingService;
  /** The models served now, with their files (model-details.ts). */
  models: () => ModelDetails[];
  /** Answered by GET /api/version: this node's version (not an Ollama version). */
  version: string;
};

type Options = { num_predict?: number | null; temperature?: number | null; top_p?: number | null; top_k?: number | null; repeat_penalty?: number | null; seed?: number | null; stop?: string | string[] | null };

const ollamaError = (code: string, message: string) => ({ error: message, code });
const ns = (ms: number | null) => Math.round((ms ?? 0) * 1e6);
/** Ollama's done_reason: stop, length, or what else ended the answer (abort, timeout, content_filter). */
const doneReason = (o: GenerationOutcome) => o.finishReason;

export const ollamaRoutes: FastifyPluginAsync<OllamaRoutesOptions> = async (app, { generation, embedding, models, version }) => {
  // Scoped to this plugin: the other routes keep the node's {"error": {code, message}}.
  app.setErrorHandler((error, request, reply) => {
    const api = toApiError(error);
    if (api.status >= 500 && api.code === "internal") request.log.error({ err: error }, "request failed");
    return reply.code(api.status).headers(api.headers).send(ollamaError(api.code, api.message));
  });
  // Not admin routes, though POSTs under /api/: they answer, as /v1/* do, and change nothing.
  const config = { admin: false };

  const format = (f: string | Record<string, unknown> | null | undefined): OutputFormat | undefined =>
    f === undefined || f === null || f === "" ? undefined : f === "json" ? { type: "json_object" } : { type: "json_schema", schema: f as Record<string, unknown> };

  const sampling = (o: Options | null | undefined) => ({
    maxTokens: o?.num_predict && o.num_predict > 0 ? o.num_predict : undefined,
    sampling: {
      temperature: o?.temperature ?? undefined,
      topP: o?.top_p ?? undefined,
      topK: o?.top_k ? o.top_k : undefined,
      repeatPenalty: o?.repeat_penalty ?? undefined,
      seed: o?.seed ?? undefined,
      stop: stopList(o?.stop),
    },
  });

  const counts = (o: GenerationOutcome) => ({
    total_duration: ns(o.ms),
    load_duration: 0,
    prompt_eval_count: o.promptTokens,
    prompt_eval_duration: ns(o.firstTokenMs),
    eval_count: o.tokens,
    eval_duration: ns(o.ms - (o.firstTokenMs ?? 0)),
  });
  // Ollama's logprobs, whole on the last line of a stream.
  const logprobs = (o: GenerationOutcome) =>
    o.logprobs ? { logprobs: o.logprobs.map((e) => ({ token: e.token, logprob: e.logprob, bytes: e.bytes, top_logprobs: e.top.map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes })) })) } : {};
  const provenance = (o: GenerationOutcome) => ({
    ns_llm: { source: o.source, manifest: o.manifest?.cid ?? null, auditSeq: o.auditSeq, ...(o.fallbackReason ? { reason: o.fallbackReason } : {}) },
  });

  /** Generate and chat differ in their shapes: `piece` wraps text, `last` builds the final object. */
  async function serve(
    reply: FastifyReply,
    route: "/api/generate" | "/api/chat",
    input: GenerationInput,
    body: { stream?: boolean | null; options?: Options | null; format?: string | Record<string, unknown> | null; logprobs?: boolean | null; top_logprobs?: number | null },
    piece: (model: string, text: string) => Record<string, unknown>,
    /** The final object; `text` is the whole answer unstreamed, "" at the end of a stream. */
    last: (o: GenerationOutcome, text: string) => Record<string, unknown>,
    /** A tool call's object (chat only). */
    callPiece?: (model: string, call: ToolCall) => Record<string, unknown>,
    tools?: { format: OutputFormat | undefined; mayCall: boolean; parse(text: string): ToolCall | undefined; instructions: string | undefined },
  ): Promise<unknown> {
    const stream = body.stream !== false; // Ollama streams unless told not to
    const base = {
      ...input,
      route,
      stream,
      ...sampling(body.options),
      format: tools?.format ?? format(body.format),
      instructions: tools?.instructions,
      logprobs: body.logprobs ? { top: body.top_logprobs ?? 0 } : undefined,
    };
    if (!body.logprobs && (body.top_logprobs ?? 0) > 0) throw new ApiError(400, "invalid_parameter", "top_logprobs needs logprobs: true");
    if (!stream) {
      const o = await generation.generate({ ...base, signal: clientSignal(reply) });
      reply.headers(provenanceHeaders({ model: o.model, manifest: o.manifest?.cid ?? null, auditSeq: o.auditSeq, source: o.source }));
      const call = tools?.mayCall ? tools.parse(o.text) : undefined;
      return { ...(call && callPiece ? { ...callPiece(o.model, call), done: true, done_reason: doneReason(o) } : last(o, o.text)), ...counts(o), ...logprobs(o), ...provenance(o) };
    }
    const signal = clientSignal(reply);
    const out = openNdjson(reply);
    let model = "";
    // As on the OpenAI route: an answer that may be a tool call is held back until it is known.
    const hold = holdBackToolCall(tools, (text) => out.send(piece(model, text)));
    try {
      const o = await generation.generate({
        ...base,
        signal,
        onStart: (origin) => {
          model = origin.model;
          out.setHeaders(provenanceHeaders({ model: origin.model, manifest: origin.manifest?.cid ?? null, source: origin.source }));
        },
        onToken: (text) => hold.push(text),
      });
      // (A route that passes tools passes callPiece with them.)
      const call = hold.end();
      if (call && callPiece) out.send(callPiece(model, call));
      out.send({ ...last(o, ""), ...counts(o), ...logprobs(o), ...provenance(o) });
      out.end();
    } catch (error) {
      out.fail(error, ollamaError);
    }
  }

  app.post("/api/generate", { config }, async (request, reply) => {
    refuseOllamaImages(request.body);
    const body = parseBody(ollamaGenerateBody, request.body);
    const created_at = new Date().toISOString();
    const prompt = body.prompt ?? "";
    if (body.raw && body.system) throw new ApiError(400, "invalid_request", "system cannot be used with raw (a raw prompt is sent as is)");
    // An empty prompt only loads the model, in Ollama; the governed model is loaded already.
    if (prompt === "") {
      const loaded = models().find((m) => m.role === "generation");
      if (!loaded) throw new ApiError(503, "generation_unavailable", "no generation model is loaded");
      return { model: loaded.name, created_at, response: "", done: true, done_reason: "load" };
    }
    // Not raw: through the model's chat template, with `system`, as Ollama does.
    const input: GenerationInput = body.raw
      ? { kind: "complete", prompt }
      : { kind: "chat", messages: [...(body.system ? [{ role: "system" as const, content: body.system }] : []), { role: "user", content: prompt }] };
    return serve(
      reply,
      "/api/generate",
      input,
      body,
      (model, text) => ({ model, created_at, response: text, done: false }),
      (o, text) => ({ model: o.model, created_at, response: text, done: true, done_reason: doneReason(o) }),
    );
  });

  app.post("/api/chat", { config }, async (request, reply) => {
    refuseOllamaImages(request.body);
    const body = parseBody(ollamaChatBody, request.body);
    const created_at = new Date().toISOString();
    const history = body.messages.map((m, i): ToolChatMessage => {
      const content = m.content ?? "";
      if (m.role === "tool") return { role: "tool", content, name: m.tool_name ?? undefined };
      if (m.role === "assistant" && m.tool_calls?.length) {
        return { role: "assistant", content, toolCalls: m.tool_calls.map((c) => ({ name: c.function.name, arguments: parseArguments(c.function.arguments, i) })) };
      }
      return { role: m.role, content };
    });
    const tools = body.tools?.map((t) => ({ name: t.function.name, description: t.function.description ?? undefined, parameters: t.function.parameters ?? { type: "object", properties: {} } }));
    const plan = planTools(tools, undefined, history);
    if (plan.messages.length === 0) {
      // Ollama: a chat with no messages loads the model.
      const loaded = models().find((m) => m.role === "generation");
      if (!loaded) throw new ApiError(503, "generation_unavailable", "no generation model is loaded");
      return { model: loaded.name, created_at, message: { role: "assistant", content: "" }, done: true, done_reason: "load" };
    }
    const messages: ChatMessage[] = plan.messages;
    return serve(
      reply,
      "/api/chat",
      { kind: "chat", messages },
      body,
      (model, text) => ({ model, created_at, message: { role: "assistant", content: text }, done: false }),
      (o, text) => ({ model: o.model, created_at, message: { role: "assistant", content: text }, done: true, done_reason: doneReason(o) }),
      (model, call) => ({
        model,
        created_at,
        message: { role: "assistant", content: "", tool_calls: [{ id: call.id, function: { index: 0, name: call.name, arguments: call.arguments } }] },
        done: false,
      }),
      plan,
    );
  });

  app.post("/api/embed", { config }, async (request, reply) => {
    const body = parseBody(ollamaEmbedBody, request.body);
    const texts = typeof body.input === "string" ? [body.input] : body.input;
    const began = performance.now();
    const r = await embedding.embed({ texts, route: "/api/embed", ...(body.dimensions ? { dimensions: body.dimensions } : {}) });
    const manifest = r.manifest.cid ?? null;
    reply.headers(provenanceHeaders({ model: r.model, manifest, auditSeq: r.auditSeq }));
    const rest = JSON.stringify({
      total_duration: ns(performance.now() - began),
      load_duration: 0,
      // Token counts are not reported by the batcher; characters / 4, as on /v1/embeddings.
      prompt_eval_count: texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0),
      ns_llm: { manifest, auditSeq: r.auditSeq },
    });
    reply.type("application/json; charset=utf-8");
    return `{"model":${JSON.stringify(r.model)},"embeddings":${vectorsJson(r.vectors)},${rest.slice(1)}`;
  });

  app.post("/api/embeddings", { config }, async (request, reply) => {
    const body = parseBody(ollamaEmbeddingsBody, request.body);
    const r = await embedding.embed({ texts: [body.prompt], route: "/api/embeddings" });
    reply.headers(provenanceHeaders({ model: r.model, manifest: r.manifest.cid ?? null, auditSeq: r.auditSeq }));
    reply.type("application/json; charset=utf-8");
    return `{"embedding":${vectorJson(r.vectors[0]!)}}`;
  });

  const listing = (m: ModelDetails) => ({
    name: m.name,
    model: m.name,
    modified_at: m.modifiedAt.toISOString(),
    size: m.sizeBytes,
    digest: (m.digest ?? "").replace(/^0x/, "").replace(/^sha256:/, ""),
    details: details(m),
    ns_llm: { role: m.role, manifest: m.manifest, version: m.version },
  });

  app.get("/api/tags", async () => ({ models: models().map(listing) }));

  app.get("/api/ps", async () => ({
    models: models().map((m) => ({ ...listing(m), expires_at: "0001-01-01T00:00:00Z", size_vram: 0, ...(m.contextLength ? { context_length: m.contextLength } : {}) })),
  }));

  app.get("/api/version", async () => ({ version }));

  app.post("/api/show", { config }, async (request) => {
    const body = parseBody(ollamaShowBody, request.body);
    const wanted = (body.model ?? body.name ?? "").replace(/:latest$/, "");
    if (wanted === "") throw new ApiError(400, "invalid_request", "model: the name of a model this node serves (see GET /api/tags)");
    const m = models().find((x) => x.name === wanted);
    if (!m) throw new ApiError(404, "not_found", `model "${wanted}" not found; this node serves ${models().map((x) => x.name).join(", ") || "no model now"}`);
    const generating = m.role === "generation";
    return {
      // The file's name only: a client has no business knowing the node's folders.
      modelfile: `# served by NS-LLM as its governed ${m.role} model\n# manifest ${m.manifest ?? "(none: a local file)"}\nFROM ${path.basename(m.path)}\n`,
      parameters: "",
      template: "",
      details: details(m),
      // The engines do not report an architecture; the node's own keys say what it knows.
      model_info: generating
        ? { "general.basename": m.name, "ns_llm.context_length": m.contextLength, "ns_llm.chat_template": m.hasChatTemplate }
        : { "general.basename": m.name, "ns_llm.embedding_length": m.dimensions, "ns_llm.context_length": m.maxLength },
      // Tools and JSON output work through the node's own protocol and grammar, on any chat model.
      capabilities: generating ? ["completion", "tools"] : ["embedding"],
      modified_at: m.modifiedAt.toISOString(),
      ns_llm: { role: m.role, manifest: m.manifest, version: m.version },
    };
  });
};

function details(m: ModelDetails) {
  const generating = m.role === "generation";
  return {
    parent_model: "",
    format: generating ? "gguf" : "onnx",
    family: "",
    families: null,
    parameter_size: "",
    quantization_level: "",
  };
}

/** Arguments of a call in the history: Ollama sends an object (some clients a JSON string). */
function parseArguments(value: Record<string, unknown> | string, index: number): Record<string, unknown> {
  if (typeof value !== "string") return value;
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ApiError(400, "invalid_request", `messages.${index}.tool_calls: function.arguments must be a JSON object`);
}
