/**
 * The NS Node gateway (127.0.0.1:3009): answers `/generate` from its semantic cache, else from the
 * node through ns-llm-client, else from its own hybrid search, and says which in every answer
 * (`source`: "cache" | "llm" | "search"). Never a silent failure: a search answer carries the
 * reason the node could not answer.
 */
import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import cors from "@fastify/cors";
import { z } from "zod";
import { createNodeClient, type ClientEvent, type NodeClient, type GenerateResponse } from "../client/index.ts";
import { openDatabase } from "../db/index.ts";
import { answerFromSearch, createSearchIndex, type SearchIndex } from "../search/index.ts";
import { ApiError, errorBody, observeRequests, openSse, sendError } from "../server/index.ts";
import { openDocumentStore, type DocumentStore } from "./documents.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { openSemanticCache, type SemanticCache } from "./semantic-cache.ts";

export type CreateGatewayParameters = {
  /** The node(s) behind the gateway, in order of preference. */
  nodeUrls: string[];
  /** Folder of the gateway's database (documents and cache). */
  home: string;
  apiToken?: string;
  corsOrigins?: string[];
  /** Similarity above which a cached answer is reused; the node's governed value wins when it has one. */
  cacheSimilarity?: number;
  /** Weight of BM25 against vectors in hybrid search (0..1). */
  lexicalWeight?: number;
  client?: Partial<Parameters<typeof createNodeClient>[0]>;
  log?: (line: string) => void;
};

export type Gateway = {
  app: FastifyInstance;
  client: NodeClient;
  documents: DocumentStore;
  cache: SemanticCache;
  /** Rebuilds the search index after documents were added. */
  reindex(): void;
  close(): Promise<void>;
};

const generateBody = z.object({
  prompt: z.string().min(1).max(100_000),
  maxTokens: z.number().int().min(1).max(4096).optional(),
  temperature: z.number().min(0).max(2).optional(),
  stream: z.boolean().optional(),
  /** false skips the cache (neither read nor written). */
  cache: z.boolean().optional(),
});
const embedBody = z.object({ input: z.union([z.string().max(100_000), z.array(z.string().max(100_000)).min(1).max(256)]) });
const searchBody = z.object({ query: z.string().min(1).max(2_000), k: z.number().int().min(1).max(50).optional() });

export async function createGateway(p: CreateGatewayParameters): Promise<Gateway> {
  const log = p.log ?? (() => {});
  const metrics = createGatewayMetrics();
  const db = openDatabase(path.join(p.home, "gateway.db"));
  // The cache writes on every hit (its hit count) and every miss: with synchronous=FULL each of
  // those is an fsync (~2.5 ms here, more than the lookup itself). In WAL mode NORMAL still
  // survives a crash of the process; a power cut may lose the last cache entries, which is what
  // a cache is for. Documents are written by `gateway add`, through its own connection.
  db.exec("PRAGMA synchronous = NORMAL");
  const documents = openDocumentStore(db);
  const cache = openSemanticCache(db);

  let nodeEmbeddingModel: string | undefined;
  let governedSimilarity: number | undefined;
  /** The node's generation model (manifest CID when governed): part of the cache key, so a swap invalidates answers. */
  let nodeGenerationModel: string | undefined;
  const onEvent = (event: ClientEvent) => {
    metrics.clientEvents.inc({ type: event.type, state: "state" in event ? event.state : "healthy" in event ? String(event.healthy) : "" });
    if (event.type === "health") metrics.nodeUp.set(event.healthy ? 1 : 0);
    log(`client: ${JSON.stringify(event)}`);
    // A node gone or back: learn at once whether it can embed, rather than at the next periodic
    // refresh (until then a returned node would serve without the semantic cache and vectors,
    // and a gone one would cost every request a failed embedding first).
    if (event.type === "health" || (event.type === "breaker" && (event.state === "open" || event.state === "closed"))) void refreshNode();
  };
  const client = createNodeClient({ endpoints: p.nodeUrls, apiToken: p.apiToken, onEvent, ...p.client });

  const embed = async (texts: string[]) => (await client.embed({ input: texts }, { timeoutMs: 10_000 })).embeddings.map((v) => Float32Array.from(v));
  let index: SearchIndex = buildIndex();
  function buildIndex(): SearchIndex {
    metrics.documents.set(documents.count());
    return createSearchIndex(documents.all(), { embed, embedModel: () => nodeEmbeddingModel, lexicalWeight: p.lexicalWeight ?? 0.5 });
  }

  /** Learns from the node's health what its embedding model and governed cache threshold are. */
  const refreshNode = async () => {
    try {
      const health = await client.health({ timeoutMs: 2_000 });
      metrics.nodeUp.set(1);
      nodeEmbeddingModel = health.embedding?.ready ? (health.embedding.manifest ?? health.embedding.model ?? "default") : undefined;
      // Kept while the node is down, so exact repeats still hit the cache then.
      if (health.generation?.ready) nodeGenerationModel = health.generation.manifest ?? health.generation.model ?? undefined;
      // Only a node that follows the chain has governed values; a --no-chain node's defaults do
      // not override the operator's setting.
      const governance = await client.governance({ timeoutMs: 2_000 }).catch(() => undefined);
      const governed = governance?.enabled ? governance.parameters.cacheSimilarity : undefined;
      governedSimilarity = typeof governed === "number" ? governed : undefined;
    } catch {
      metrics.nodeUp.set(0);
      nodeEmbeddingModel = undefined;
    }
  };
  await refreshNode();
  const refresher = setInterval(() => {
    void refreshNode();
    // Documents added by `ns-llm gateway add` while running.
    if (documents.count() !== index.size) index = buildIndex();
  }, 5_000);
  refresher.unref();
  const threshold = () => governedSimilarity ?? p.cacheSimilarity ?? 0.92;

  const app = Fastify({ bodyLimit: 1024 * 1024, logger: false });
  await app.register(cors, { origin: p.corsOrigins ?? ["http://127.0.0.1:3000", "http://localhost:3000"] });
  app.setErrorHandler((error, request, reply) => sendError(reply, request, error));
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody("not_found", `no route ${request.method} ${request.url}`)));
  // Registered first so refused requests count too; streamed replies included.
  observeRequests(app, ({ reply, route = "unknown", status, seconds }) => {
    const source = (reply.getHeader("x-ns-llm-source") as string | undefined) ?? "none";
    metrics.requests.inc({ route, source, status });
    metrics.latency.observe({ route, source }, seconds);
  });
  if (p.apiToken) {
    app.addHook("onRequest", async (request) => {
      if (request.url === "/health" || request.url === "/metrics") return;
      if (request.headers.authorization !== `Bearer ${p.apiToken}`) throw new ApiError(401, "unauthorized", "send Authorization: Bearer <NS_LLM_API_TOKEN>");
    });
  }

  app.get("/health", async () => {
    const endpoints = client.endpoints();
    const nodeUp = endpoints.some((e) => e.healthy && e.breaker !== "open");
    return {
      status: nodeUp ? "ok" : "degraded",
      reasons: nodeUp ? [] : ["no node endpoint is healthy: answers come from the cache and search"],
      node: { endpoints, embeddingModel: nodeEmbeddingModel ?? null },
      cache: { entries: cache.size(), similarity: threshold() },
      search: { documents: index.size },
    };
  });

  app.get("/metrics", async (_request, reply) => {
    metrics.cacheEntries.set(cache.size());
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.post("/embed", async (request, reply) => {
    const body = embedBody.parse(request.body);
    try {
      const answer = await client.embed(body);
      reply.header("x-ns-llm-source", "llm");
      return answer;
    } catch (error) {
      throw new ApiError(503, "node_unavailable", `the node cannot embed now: ${(error as Error).message}`);
    }
  });

  app.post("/search", async (request) => {
    const body = searchBody.parse(request.body);
    return { results: await index.search(body.query, body.k ?? 5) };
  });

  app.post("/generate", async (request, reply) => {
    const body = generateBody.parse(request.body);
    const started = performance.now();
    const settings = JSON.stringify({ maxTokens: body.maxTokens ?? null, temperature: body.temperature ?? null, model: nodeGenerationModel ?? null });
    const useCache = body.cache !== false;

    // 1. The cache: by meaning when the node can embed, else by the exact prompt.
    let embedding: { vector: Float32Array; space: string } | undefined;
    if (useCache) {
      try {
        if (nodeEmbeddingModel !== undefined) {
          const embedded = await client.embed({ input: [body.prompt] }, { timeoutMs: 10_000 });
          // The model that made this very vector (not the last health check's idea of it).
          embedding = { vector: Float32Array.from(embedded.embeddings[0]!), space: embedded.manifest ?? embedded.model };
        }
      } catch {
        embedding = undefined;
      }
      const hit = embedding ? cache.lookup(embedding.vector, settings, threshold(), embedding.space) : cache.lookupExact(body.prompt, settings);
      if (hit) {
        metrics.cacheHits.inc();
        metrics.cacheTimeSaved.inc(hit.ms / 1000);
        const answer = { text: hit.text, model: hit.model, source: "cache" as const, tokens: hit.tokens, ms: performance.now() - started, similarity: hit.similarity };
        return respond(answer);
      }
      metrics.cacheMisses.inc();
    }

    // 2. The node.
    if (body.stream) return streamFromNode(body, embedding, settings);
    try {
      const answer = await client.generate({ prompt: body.prompt, maxTokens: body.maxTokens, temperature: body.temperature });
      // A refused answer (validation stopped it) is never served again from the cache.
      if (useCache && answer.source === "llm" && answer.finishReason !== "content_filter") {
        cache.store({ embedding: embedding?.vector ?? new Float32Array(0), space: embedding?.space, settings, prompt: body.prompt, text: answer.text, model: answer.model, ms: answer.ms, tokens: answer.tokens });
      }
      // The node's own URL stays inside the gateway.
      const { endpoint: _endpoint, ...answered } = answer;
      return respond(answered);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      const status = (error as { status?: number }).status;
      if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
        throw new ApiError(status, (error as { code?: string }).code ?? "bad_request", (error as Error).message);
      }
      // 3. Search.
      return respond(await searchAnswer(body.prompt, error, started));
    }

    function respond(answer: Record<string, unknown> & { source: string }) {
      reply.header("x-ns-llm-source", answer.source);
      if (!body.stream) return answer;
      const sse = openSse(reply);
      sse.send({ token: answer.text });
      sse.send({ done: true, ...answer, text: undefined });
      sse.end();
      return reply;
    }

    async function streamFromNode(b: z.infer<typeof generateBody>, vector: { vector: Float32Array; space: string } | undefined, key: string) {
      const controller = new AbortController();
      reply.raw.on("close", () => controller.abort());
      const sse = openSse(reply);
      let text = "";
      try {
        const events = client.generateStream({ prompt: b.prompt, maxTokens: b.maxTokens, temperature: b.temperature }, { signal: controller.signal });
        let first = true;
        for await (const event of events) {
          if (first) {
            reply.header("x-ns-llm-source", "llm");
            first = false;
          }
          if ("token" in event) {
            text += event.token;
            sse.send(event);
          } else {
            const done = event as Partial<GenerateResponse>;
            if (b.cache !== false && done.source === "llm" && done.finishReason !== "content_filter") {
              cache.store({ embedding: vector?.vector ?? new Float32Array(0), space: vector?.space, settings: key, prompt: b.prompt, text, model: done.model ?? "", ms: done.ms ?? 0, tokens: done.tokens ?? 0 });
            }
            sse.send(event);
          }
        }
        sse.end();
      } catch (error) {
        if (controller.signal.aborted) return reply;
        if (!sse.started) {
          const answer = await searchAnswer(b.prompt, error, started);
          reply.header("x-ns-llm-source", "search");
          sse.send({ token: answer.text });
          sse.send({ done: true, ...answer, text: undefined });
          sse.end();
        } else sse.fail(error);
      }
      return reply;
    }
  });

  async function searchAnswer(prompt: string, error: unknown, started: number) {
    const reason = (error as Error)?.message ?? String(error);
    metrics.fallbacks.inc({ reason: (error as { code?: string }).code ?? (error as Error)?.name ?? "error" });
    const results = await index.search(prompt, 3);
    return { text: answerFromSearch(results), model: "search", source: "search" as const, tokens: 0, ms: performance.now() - started, reason, results };
  }

  return {
    app,
    client,
    documents,
    cache,
    reindex() {
      index = buildIndex();
    },
    async close() {
      clearInterval(refresher);
      await app.close();
      await client.close();
      db.close();
    },
  };
}
