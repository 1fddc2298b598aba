/**
 * The NS Node gateway (127.0.0.1:3009): answers `/generate` from its semantic cache, else from the
 * node through ns-llm-client, else from its own hybrid search, and says which in every answer
 * (`source`: "cache" | "federated" | "llm" | "search"; "federated": a peer node's answer, with its
 * signed provenance in `federation`). Never a silent failure: a search answer carries the
 * reason the node could not answer.
 *
 * What the node governs holds here too: the cache is keyed by the generation manifest, the
 * parameters manifest and the request's sampling (cache-key.ts), and the gateway asks the node what
 * it serves with before every cache lookup, so an adoption of either role empties the entries it no
 * longer matches at the next request; only answers that ended by themselves (`stop`) are cached;
 * the governed deny patterns apply to cache hits and search answers; and every answer carries
 * provenance headers like the node's (a hit: those of the answer it repeats).
 *
 * Several nodes: each request goes to one of them by load (ns-llm-client `balance: "load"`), and,
 * given the chain, only to nodes that run the registry's current adoptions; /health says, node by
 * node, which are in sync, behind, loading a model or unreachable, and /metrics carries each
 * node's outstanding, served and failed requests.
 */
import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import cors from "@fastify/cors";
import { z } from "zod";
import { createNodeClient, type ChainAdoptionsReader, type ClientEvent, type NodeClient, type GenerateResponse } from "../client/index.ts";
import { openDatabase } from "../db/index.ts";
import { answerFromSearch, createSearchIndex, type SearchIndex } from "../search/index.ts";
import {
  ApiError,
  clientErrorHandler,
  errorBody,
  frameworkErrors,
  limitConnections,
  limitedServerOptions,
  observeRequests,
  openSse,
  provenanceHeaders,
  registerRequestPolicy,
  sendError,
  tokenCheck,
  unauthorized,
  type HttpLimits,
} from "../server/index.ts";
import { DenyFilter } from "../serving/deny-filter.ts";
import { PROVENANCE_HEADERS, type EmbedRequest, type FederatedProvenance, type GatewayAnswerSource, type ManifestParameters } from "@ns-llm/contracts";
import { verifyRecord } from "../federation/record.ts";
import { cacheKey, keyMatches, parametersKey, type Governed } from "./cache-key.ts";
import { registerDocumentRoutes } from "./document-routes.ts";
import { openDocumentStore, type DocumentStore } from "./documents.ts";
import { createGatewayMetrics } from "./metrics.ts";
import { openSemanticCache, type SemanticCache } from "./semantic-cache.ts";

export type CreateGatewayParameters = {
  /** The node(s) behind the gateway. */
  nodeUrls: string[];
  /** "load" (default): each request to one node by load; "preference": the order of `nodeUrls`, failing over by health. */
  balance?: "load" | "preference";
  /** The registry's current adoptions: given, only nodes that run them get requests. */
  chain?: ChainAdoptionsReader;
  /** Folder of the gateway's database (documents and cache). */
  home: string;
  apiToken?: string;
  /** Browser origins allowed (CORS, and the Origin check of POSTs); default the dApp's on port 3000. */
  corsOrigins?: string[];
  /** Host names answered besides loopback ones (NS_LLM_ALLOWED_HOSTS). */
  allowedHosts?: string[];
  /** HTTP limits other than the defaults (tests). */
  httpLimits?: Partial<HttpLimits>;
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
  topP: z.number().gt(0).max(1).optional(),
  topK: z.number().int().min(1).max(1000).optional(),
  repeatPenalty: z.number().min(0).max(10).optional(),
  seed: z.number().int().min(0).optional(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(8)]).optional(),
  stream: z.boolean().optional(),
  /** false skips the cache (neither read nor written). */
  cache: z.boolean().optional(),
});
/** Texts, or images as {"image": "<data URL or base64>"} items (passed to the node's vision role). */
const imageInput = z.object({ image: z.string().min(1).max(1_000_000) });
const embedBody = z.object({
  input: z.union([z.string().max(100_000), imageInput, z.array(z.union([z.string().max(100_000), imageInput])).min(1).max(256)]),
});
/** A text query, or an image (data URL or base64) to find the texts and images near it. */
const searchBody = z
  .object({ query: z.string().min(1).max(2_000).optional(), image: z.string().min(1).max(1_000_000).optional(), k: z.number().int().min(1).max(50).optional() })
  .refine((b) => (b.query === undefined) !== (b.image === undefined), { message: "give query (a text) or image (a data URL), one of them" });

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
  /** The node's vision model when it shares the embedding model's space (else images are found by caption only). */
  let nodeVisionModel: string | undefined;
  let governedSimilarity: number | undefined;
  /** The node's generation model (manifest CID when governed): part of the cache key, so a swap invalidates answers. */
  let nodeGenerationModel: string | undefined;
  /** The node's governed parameters (last known: kept while the node is down) and their key. */
  let nodeParameters: ManifestParameters | undefined;
  let nodeParametersKey: string | null = null;
  const governedNow = (): Governed => ({ generation: nodeGenerationModel ?? null, parameters: nodeParametersKey });
  /** Empties what the current generation model and parameters no longer match. */
  const purgeStale = () => {
    const gone = cache.purge((settings) => keyMatches(settings, governedNow()));
    if (gone > 0) {
      metrics.cachePurged.inc(gone);
      log(`cache: ${gone} entries dropped (the node's generation model or parameters changed)`);
    }
  };
  const onEvent = (event: ClientEvent) => {
    metrics.clientEvents.inc({ type: event.type, state: "state" in event ? event.state : "healthy" in event ? String(event.healthy) : "" });
    if (event.type === "health") metrics.nodeUp.set(event.healthy ? 1 : 0);
    log(`client: ${JSON.stringify(event)}`);
    // A node gone or back: learn at once whether it can embed, rather than at the next periodic
    // refresh (until then a returned node would serve without the semantic cache and vectors,
    // and a gone one would cost every request a failed embedding first).
    if (event.type === "health" || (event.type === "breaker" && (event.state === "open" || event.state === "closed"))) void refreshNode();
  };
  const client = createNodeClient({ endpoints: p.nodeUrls, apiToken: p.apiToken, onEvent, balance: p.balance ?? "load", chain: p.chain, ...p.client });
  metrics.observeNodes(() => client.endpoints());

  const embed = async (texts: string[]) => (await client.embed({ input: texts }, { timeoutMs: 10_000 })).embeddings.map((v) => Float32Array.from(v));
  const embedImages = async (images: string[]) =>
    (await client.embed({ input: images.map((image) => ({ image })) }, { timeoutMs: 30_000 })).embeddings.map((v) => Float32Array.from(v));
  let index: SearchIndex = buildIndex();
  function buildIndex(): SearchIndex {
    metrics.documents.set(documents.count());
    return createSearchIndex(documents.all(), { embed, embedModel: () => nodeEmbeddingModel, embedImages, imageModel: () => nodeVisionModel, lexicalWeight: p.lexicalWeight ?? 0.5 });
  }

  /**
   * Learns from the node what it serves with: its embedding and generation models, its governed
   * parameters (the cache key, the deny patterns, the cache threshold). Concurrent callers share
   * one refresh. Run before every cache lookup, so a vote applies at the gateway's next request.
   */
  let refreshing: Promise<void> | undefined;
  const refreshNode = () => (refreshing ??= refreshOnce().finally(() => (refreshing = undefined)));
  const refreshOnce = async () => {
    try {
      const [health, governance] = await Promise.all([
        client.health({ timeoutMs: 2_000 }),
        client.governance({ timeoutMs: 2_000 }).catch(() => undefined),
      ]);
      metrics.nodeUp.set(1);
      nodeEmbeddingModel = health.embedding?.ready ? (health.embedding.manifest ?? health.embedding.model ?? "default") : undefined;
      nodeVisionModel = health.vision?.ready && health.vision.paired ? (health.vision.manifest ?? health.vision.model ?? "vision") : undefined;
      // Kept while the node is down, so exact repeats still hit the cache then.
      if (health.generation?.ready) nodeGenerationModel = health.generation.manifest ?? health.generation.model ?? undefined;
      if (governance) {
        nodeParameters = governance.parameters;
        nodeParametersKey = parametersKey(governance.applied?.parameters?.cid, governance.parameters);
      }
      // Only a node that follows the chain has governed values; a --no-chain node's defaults do
      // not override the operator's setting.
      const governed = governance?.enabled ? governance.parameters.cacheSimilarity : undefined;
      governedSimilarity = typeof governed === "number" ? governed : undefined;
      purgeStale();
    } catch {
      metrics.nodeUp.set(0);
      nodeEmbeddingModel = undefined;
      nodeVisionModel = undefined;
    }
  };
  /** The governed deny patterns last learned from the node (applied to hits and search answers). */
  const denyPatterns = () => nodeParameters?.validation?.denyPatterns ?? [];
  await refreshNode();
  const refresher = setInterval(() => {
    void refreshNode();
    // Documents added by `ns-llm gateway add` while running.
    if (documents.count() !== index.size) index = buildIndex();
  }, 5_000);
  refresher.unref();
  const threshold = () => governedSimilarity ?? p.cacheSimilarity ?? 0.92;

  const corsOrigins = p.corsOrigins ?? ["http://127.0.0.1:3000", "http://localhost:3000"];
  const app = Fastify({ ...limitedServerOptions(p.httpLimits), logger: false, return503OnClosing: true, forceCloseConnections: "idle", frameworkErrors, clientErrorHandler });
  limitConnections(app, p.httpLimits);
  app.setErrorHandler((error, request, reply) => sendError(reply, request, error));
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody("not_found", `no route ${request.method} ${request.url}`)));
  // Registered first so refused requests count too; streamed replies included.
  observeRequests(app, ({ reply, route = "unknown", status, seconds }) => {
    const source = (reply.getHeader("x-ns-llm-source") as string | undefined) ?? "none";
    metrics.requests.inc({ route, source, status });
    metrics.latency.observe({ route, source }, seconds);
  });
  // The node's Host and Origin policy (DNS rebinding, cross-site POSTs), before CORS and auth.
  registerRequestPolicy(app, { token: p.apiToken, allowedHosts: p.allowedHosts ?? [], allowedOrigins: corsOrigins });
  await app.register(cors, { origin: corsOrigins, strictPreflight: false });
  if (p.apiToken) {
    const valid = tokenCheck(p.apiToken);
    app.addHook("onRequest", async (request) => {
      if (request.method === "OPTIONS") return;
      const route = request.routeOptions.url;
      if (route === "/health" || route === "/metrics") return;
      if (!valid(request)) throw unauthorized();
    });
  }

  app.get("/health", async () => {
    const endpoints = client.endpoints();
    const routable = (e: (typeof endpoints)[number]) => e.sync === "in_sync" || (!p.chain && e.sync === "unchecked");
    const nodeUp = endpoints.some((e) => e.healthy && e.breaker !== "open" && routable(e));
    const reasons = nodeUp ? [] : [p.chain ? "no node is healthy and in sync with the chain: answers come from the cache and search" : "no node endpoint is healthy: answers come from the cache and search"];
    // Each node the gateway does not send requests to, and why.
    for (const e of endpoints) {
      if (e.sync === "swapping") reasons.push(`node ${e.url} is drained (only when no other node can answer): swapping (${e.reason})`);
      else if (!routable(e) && e.sync !== "unchecked") reasons.push(`node ${e.url} gets no requests: ${e.sync}${e.reason ? ` (${e.reason})` : ""}`);
    }
    return {
      status: reasons.length ? "degraded" : "ok",
      reasons,
      node: { endpoints, embeddingModel: nodeEmbeddingModel ?? null, balance: p.balance ?? "load", chain: client.chain() },
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
      const answer = await client.embed(body as EmbedRequest);
      reply.headers(provenanceHeaders({ model: answer.model, manifest: answer.manifest ?? null, auditSeq: answer.auditSeq ?? null }));
      reply.header(PROVENANCE_HEADERS.source, "llm");
      const { endpoint: _endpoint, ...answered } = answer as typeof answer & { endpoint?: string };
      return answered;
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 400) throw new ApiError(400, (error as { code?: string }).code ?? "invalid_request", (error as Error).message);
      throw new ApiError(503, "node_unavailable", `the node cannot embed now: ${(error as Error).message}`);
    }
  });

  registerDocumentRoutes(app, { documents, onAdded: () => (index = buildIndex()) });

  app.post("/search", async (request) => {
    const body = searchBody.parse(request.body);
    await refreshNode();
    // Documents holding a governed deny pattern are not handed out either.
    if (body.query !== undefined) return { results: (await index.search(body.query, body.k ?? 5)).filter((r) => !denied(r.text)) };
    if (nodeVisionModel === undefined) {
      throw new ApiError(503, "vision_unavailable", "the node has no vision model sharing its embedding model's space: images cannot be searched by now");
    }
    try {
      return { results: (await index.searchByImage(body.image!, body.k ?? 5)).filter((r) => !denied(r.text)) };
    } catch (error) {
      // The node's 400 (a bad image) is the caller's; anything else is the node being unable.
      const status = (error as { status?: number }).status;
      if (status === 400) throw new ApiError(400, (error as { code?: string }).code ?? "invalid_image", (error as Error).message);
      throw new ApiError(503, "node_unavailable", `the node cannot embed the image now: ${(error as Error).message}`);
    }
  });

  app.post("/generate", async (request, reply) => {
    const body = generateBody.parse(request.body);
    const started = performance.now();
    const useCache = body.cache !== false;
    const sampling = { maxTokens: body.maxTokens, temperature: body.temperature, topP: body.topP, topK: body.topK, repeatPenalty: body.repeatPenalty, seed: body.seed, stop: body.stop };
    // What the node serves with now (a vote since the last request empties what it no longer matches).
    if (useCache) await refreshNode();
    const settings = cacheKey(governedNow(), sampling);

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
      // A hit that holds a governed deny pattern is never served (and never kept).
      if (hit && denied(hit.text)) cache.remove(hit.id);
      else if (hit) {
        metrics.cacheHits.inc();
        metrics.cacheTimeSaved.inc(hit.ms / 1000);
        reply.headers(provenanceHeaders({ model: hit.model, manifest: hit.manifest, auditSeq: hit.auditSeq }));
        const answer = {
          text: hit.text,
          model: hit.model,
          source: "cache" as const,
          tokens: hit.tokens,
          finishReason: "stop" as const,
          ms: performance.now() - started,
          similarity: hit.similarity,
          manifest: hit.manifest,
          auditSeq: hit.auditSeq,
        };
        return respond(answer);
      }
      metrics.cacheMisses.inc();

      // 1b. The federated cache: an answer a peer node computed under the same manifests and key,
      // which the node verified when it arrived; checked again here before it is served.
      const federated = await federatedAnswer(body.prompt, settings);
      if (federated) {
        metrics.federatedHits.inc();
        reply.headers(provenanceHeaders({ model: federated.model, manifest: federated.manifest, auditSeq: null }));
        return respond({ ...federated, ms: Math.round(performance.now() - started) });
      }
    }

    // 2. The node.
    const nodeRequest = { prompt: body.prompt, ...definedOnly(sampling) };
    if (body.stream) return streamFromNode(nodeRequest, embedding, settings);
    try {
      const answer = await client.generate(nodeRequest);
      // Only an answer that ended by itself: never one cut at maxTokens, by a deny pattern or by validation.
      if (useCache && answer.source === "llm" && answer.finishReason === "stop") {
        cache.store({
          embedding: embedding?.vector ?? new Float32Array(0),
          space: embedding?.space,
          settings: cacheKey({ ...governedNow(), generation: answer.manifest ?? answer.model }, sampling),
          prompt: body.prompt,
          text: answer.text,
          model: answer.model,
          ms: answer.ms,
          tokens: answer.tokens,
          manifest: answer.manifest ?? null,
          auditSeq: answer.auditSeq ?? null,
        });
      }
      reply.headers(provenanceHeaders({ model: answer.model, manifest: answer.manifest ?? null, auditSeq: answer.auditSeq ?? null }));
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

    function respond(answer: Record<string, unknown> & { source: GatewayAnswerSource }) {
      reply.header(PROVENANCE_HEADERS.source, answer.source);
      if (answer.source === "search") reply.header(PROVENANCE_HEADERS.model, "search");
      if (!body.stream) return answer;
      const sse = openSse(reply);
      sse.send({ token: answer.text });
      sse.send({ done: true, ...answer, text: undefined });
      sse.end();
      return reply;
    }

    async function streamFromNode(b: typeof nodeRequest, vector: { vector: Float32Array; space: string } | undefined, key: string) {
      const controller = new AbortController();
      reply.raw.on("close", () => controller.abort());
      const sse = openSse(reply);
      let text = "";
      try {
        // The node's provenance headers (model, manifest, source) go out with the first event.
        const onHeaders = (headers: Headers) => {
          // On the reply (not only the stream) so the request metrics see the source too.
          for (const name of Object.values(PROVENANCE_HEADERS)) {
            const value = headers.get(name);
            if (value !== null) reply.header(name, value);
          }
        };
        const events = client.generateStream(b, { signal: controller.signal, onHeaders });
        for await (const event of events) {
          if ("token" in event) {
            text += event.token;
            sse.send(event);
          } else {
            const done = event as Partial<GenerateResponse>;
            if (useCache && done.source === "llm" && done.finishReason === "stop") {
              cache.store({
                embedding: vector?.vector ?? new Float32Array(0),
                space: vector?.space,
                settings: done.manifest || done.model ? cacheKey({ ...governedNow(), generation: done.manifest ?? done.model ?? null }, sampling) : key,
                prompt: b.prompt,
                text,
                model: done.model ?? "",
                ms: done.ms ?? 0,
                tokens: done.tokens ?? 0,
                manifest: done.manifest ?? null,
                auditSeq: done.auditSeq ?? null,
              });
            }
            sse.send(event);
          }
        }
        sse.end();
      } catch (error) {
        if (controller.signal.aborted) return reply;
        if (!sse.started) {
          const answer = await searchAnswer(b.prompt, error, started);
          reply.header(PROVENANCE_HEADERS.source, "search").header(PROVENANCE_HEADERS.model, "search");
          sse.send({ token: answer.text });
          sse.send({ done: true, ...answer, text: undefined });
          sse.end();
        } else sse.fail(error);
      }
      return reply;
    }
  });

  /**
   * The node's verified peer answer for this prompt and key, or undefined (none, the node has no
   * federation, or it does not check out: the record must be for this very key and prompt, its CID
   * must be the record's, and the signature must recover to the operator it names).
   */
  async function federatedAnswer(prompt: string, key: string) {
    // A node that is down cannot be asked (and its peers' answers are not at hand either).
    if (!client.endpoints().some((e) => e.healthy && e.breaker !== "open")) return undefined;
    let found;
    try {
      found = (await client.federatedLookup({ key, prompt }, { timeoutMs: 2_000 })).answer;
    } catch {
      return undefined; // an older node without the route, or the node is down: a plain miss
    }
    if (!found) return undefined;
    const { record, ...provenance } = found;
    if (record.key !== key || record.prompt !== prompt || (await verifyRecord(record, provenance.signature)) !== provenance.cid || denied(record.text)) {
      metrics.federatedRefused.inc();
      return undefined;
    }
    return {
      text: record.text,
      model: record.model,
      source: "federated" as const satisfies GatewayAnswerSource,
      tokens: record.tokens,
      finishReason: "stop" as const,
      manifest: record.manifests.generation,
      // No entry in this node's audit log: the answer's own entry is the peer's (federation.auditSeq).
      auditSeq: null,
      federation: { ...provenance, operator: record.operator } satisfies FederatedProvenance,
    };
  }

  /** True when `text` holds a governed deny pattern (case-insensitive substring, as the node matches). */
  function denied(text: string): boolean {
    const filter = new DenyFilter(denyPatterns());
    if (!filter.active) return false;
    filter.push(text);
    return filter.matched !== undefined;
  }

  /** An answer from the gateway's own documents; cut before a governed deny pattern, as the node cuts its answers. */
  async function searchAnswer(prompt: string, error: unknown, started: number) {
    const reason = (error as Error)?.message ?? String(error);
    metrics.fallbacks.inc({ reason: (error as { code?: string }).code ?? (error as Error)?.name ?? "error" });
    const results = (await index.search(prompt, 3)).filter((r) => !denied(r.text));
    const filter = new DenyFilter(denyPatterns());
    const full = answerFromSearch(results);
    const text = filter.active ? filter.push(full) + filter.flush() : full;
    const finishReason = filter.matched !== undefined ? ("content_filter" as const) : ("stop" as const);
    return { text, model: "search", source: "search" as const, tokens: 0, finishReason, ms: performance.now() - started, reason, results };
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

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
