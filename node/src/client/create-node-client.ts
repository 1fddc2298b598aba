/**
 * ns-llm-client: a typed client of the node's API for other programs. Keeps connections alive,
 * times every request out, retries idempotent calls with exponential backoff and jitter, breaks
 * the circuit of an endpoint that keeps failing, and fails over between several endpoints by
 * health, or (`balance: "load"`) spreads requests over them by load. Given the chain, it routes only
 * to nodes that run the registry's current adoptions. Every state change is reported through `onEvent`.
 */
import { BrokenCircuitError, ExponentialBackoff, handleWhen, retry } from "cockatiel";
import type { HealthReport } from "@ns-llm/contracts";
import { orderByLoad } from "./balance.ts";
import type { ChainAdoptions, ChainAdoptionsReader } from "./chain-adoptions.ts";
import { judgeSync, type SyncState } from "./sync.ts";
import { fetch, type Response } from "undici";
import { createEndpoint, type BreakerOptions, type BreakerState, type Endpoint } from "./endpoint.ts";
import { isConnectionLost, isEndpointFailure, isNotDelivered, isRefused, NodeHttpError, NodeTimeoutError, NoEndpointError } from "./errors.ts";
import { sseJson } from "./sse.ts";
import type { FederatedLookupRequest, FederatedLookupResponse } from "@ns-llm/contracts";
import type { ClientEvent, EmbedRequest, EmbedResponse, GenerateRequest, GenerateResponse, GenerateStreamEvent, Health, GovernanceState } from "./types.ts";

export type NodeClientOptions = {
  /** Node URLs in order of preference, e.g. `http://127.0.0.1:5555`. */
  endpoints: string | string[];
  apiToken?: string;
  /** Per request; a streaming request's timeout covers its first byte only. Default 30 s. */
  timeoutMs?: number;
  /** Retries of idempotent calls (health, models, embed). */
  retry?: { attempts: number; initialDelayMs: number; maxDelayMs: number };
  breaker?: Partial<BreakerOptions>;
  /** Background health checks; 0 turns them off. Default 5 s. */
  healthCheckMs?: number;
  /** Keep-alive connections per endpoint. */
  connections?: number;
  onEvent?: (event: ClientEvent) => void;
  /**
   * "preference" (default): the order of `endpoints`, healthy ones first. "load": power of two
   * choices over the healthy nodes, weighted by the parallel generations each advertises; a
   * generation refused (429, 503) or cut by a node's death is sent to another node.
   */
  balance?: "preference" | "load";
  /**
   * The registry's current adoptions, read at every health check: a node that does not run them
   * (behind, loading them, following no chain or another registry) gets no request.
   */
  chain?: ChainAdoptionsReader;
};

/** `healthy`: its /health answered; `degraded`: it said "degraded" (e.g. a model is missing). */
export type EndpointStatus = {
  url: string;
  healthy: boolean;
  degraded: boolean;
  breaker: BreakerState;
  /** Whether it runs the chain's current adoptions, and why not. */
  sync: SyncState;
  reason: string | null;
  /** The chain block its follower read last (its /health). */
  syncedBlock: number | null;
  capacity: number;
  outstanding: number;
  served: number;
  errors: number;
};

/** The chain as the client read it last (null when it reads no chain). */
export type ChainStatus = { registry: string; chainId: number | null; block: number | null; adoptions: ChainAdoptions["adoptions"]; error: string | null };

/** Every answer says which endpoint gave it. */
export type Answered = { endpoint: string };

export type NodeClient = {
  health(options?: CallOptions): Promise<Health & Answered>;
  embed(request: EmbedRequest, options?: CallOptions): Promise<EmbedResponse & Answered>;
  generate(request: GenerateRequest, options?: CallOptions): Promise<GenerateResponse & Answered>;
  /** Token events as they come, then one `{done: true, ...}`. Abort with `options.signal`. */
  generateStream(request: GenerateRequest, options?: CallOptions): AsyncGenerator<GenerateStreamEvent>;
  models(options?: CallOptions): Promise<{ data: Array<{ id: string }> } & Answered>;
  /** GET /api/governance: what the node applied, and its governed parameters. */
  governance(options?: CallOptions): Promise<GovernanceState & Answered>;
  /** POST /api/federation/lookup: a peer's verified answer for a cache key and prompt (the federated cache), or `{answer: null}`. */
  federatedLookup(request: FederatedLookupRequest, options?: CallOptions): Promise<FederatedLookupResponse & Answered>;
  /** Checks every endpoint now (the background checks call this). */
  checkHealth(): Promise<EndpointStatus[]>;
  endpoints(): EndpointStatus[];
  chain(): ChainStatus | null;
  close(): Promise<void>;
};

export type CallOptions = {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** generateStream: the node's response headers (its provenance), before the first event. */
  onHeaders?: (headers: Headers) => void;
};

/**
 * `replayable`: not idempotent, yet safe to send to another node when the first refused it (429,
 * 503) or died under it: a generation has no effect a caller could see twice. Never after a
 * timeout (the node may still be generating).
 */
type Call = { method: "GET" | "POST"; path: string; body?: unknown; idempotent: boolean; replayable?: boolean; stream?: boolean };

export function createNodeClient(options: NodeClientOptions): NodeClient {
  const urls = Array.isArray(options.endpoints) ? options.endpoints : [options.endpoints];
  if (urls.length === 0) throw new Error("createNodeClient needs at least one endpoint");
  const emit = options.onEvent ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 30_000;
  const breaker: BreakerOptions = { failureThreshold: 5, halfOpenAfterMs: 5_000, ...options.breaker };
  const endpoints = urls.map((url) =>
    createEndpoint(new URL(url).toString(), {
      ...breaker,
      connections: options.connections ?? 16,
      onStateChange: (state) => emit({ type: "breaker", endpoint: url, state }),
    }),
  );
  const retryOptions = options.retry ?? { attempts: 3, initialDelayMs: 100, maxDelayMs: 2_000 };
  const retryPolicy = retry(handleWhen(isEndpointFailure), {
    maxAttempts: retryOptions.attempts,
    backoff: new ExponentialBackoff({ initialDelay: retryOptions.initialDelayMs, maxDelay: retryOptions.maxDelayMs }),
  });
  let lastEndpoint = endpoints[0]!.url;
  retryPolicy.onRetry((event) => {
    const error = "error" in event ? String((event.error as Error)?.message ?? event.error) : "bad result";
    emit({ type: "retry", endpoint: lastEndpoint, attempt: event.attempt, delayMs: event.delay, error });
  });

  /**
   * Healthy before degraded before unreachable, closed circuits first within each; the configured
   * order breaks ties. Every endpoint stays in the list: ranking only decides whom to ask first.
   */
  const ranked = (): Endpoint[] => {
    const rank = (e: Endpoint) => (e.healthy ? (e.degraded ? 2 : 0) : 4) + (e.breakerState() === "closed" ? 0 : 1);
    return [...endpoints].sort((a, b) => rank(a) - rank(b));
  };

  /**
   * One request to one endpoint. The deadline is a timer of our own rather than
   * AbortSignal.timeout, so that a stream can drop it at its first byte; a plain call's body is
   * read here, under the deadline and inside the breaker (a body cut off midway is a failure too).
   */
  const send = async (endpoint: Endpoint, call: Call, callOptions: CallOptions): Promise<{ response: Response; data?: unknown }> => {
    lastEndpoint = endpoint.url;
    const ms = callOptions.timeoutMs ?? timeoutMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new NodeTimeoutError(endpoint.url, `${call.method} ${call.path}`, ms)), ms);
    const signal = callOptions.signal ? AbortSignal.any([deadline.signal, callOptions.signal]) : deadline.signal;
    try {
      const response = await fetch(`${endpoint.url}${call.path}`, {
        method: call.method,
        dispatcher: endpoint.agent,
        signal,
        headers: {
          ...(call.body !== undefined ? { "content-type": "application/json" } : {}),
          ...(call.stream ? { accept: "text/event-stream" } : {}),
          ...(options.apiToken ? { authorization: `Bearer ${options.apiToken}` } : {}),
        },
        body: call.body !== undefined ? JSON.stringify(call.body) : undefined,
      });
      if (!response.ok) {
        const text = await response.text().catch(() => "");
        let code = `HTTP_${response.status}`;
        let message = text.slice(0, 500);
        try {
          const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
          code = parsed.error?.code ?? code;
          message = parsed.error?.message ?? message;
        } catch {}
        // Absent is not "retry now": Number(null) would be 0.
        const retryAfter = Number(response.headers.get("retry-after") ?? Number.NaN);
        throw new NodeHttpError(endpoint.url, response.status, code, message, Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined);
      }
      if (call.stream) return { response };
      return { response, data: await response.json() };
    } catch (error) {
      // The deadline, not the caller, stopped it: say so (which node, which call, how long).
      if (deadline.signal.aborted && !callOptions.signal?.aborted) throw deadline.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  /**
   * Whom a request may go to, in the order to try them. Given the chain, only nodes that run its
   * current adoptions, never one behind. A node loading a model comes last (drained: it still
   * serves the set it runs until the swap, and its answers' headers name that manifest), so a
   * swap on every node at once does not turn every answer into a search answer.
   */
  const candidates = (): Endpoint[] => {
    const routable = options.chain ? endpoints.filter((e) => e.sync.state === "in_sync") : endpoints.filter((e) => e.sync.state !== "swapping");
    const drained = endpoints.filter((e) => e.sync.state === "swapping");
    if (options.balance !== "load") return [...rankedAmong(routable), ...drained];
    const ready = routable.filter((e) => e.healthy && e.breakerState() !== "open");
    return [...orderByLoad(ready), ...rankedAmong(routable.filter((e) => !ready.includes(e))), ...drained];
  };
  const rankedAmong = (list: Endpoint[]) => ranked().filter((e) => list.includes(e));
  /** Why no node can take a request: each one's state, for the error. */
  const explain = () => endpoints.map((e) => `${e.url}: ${e.sync.state}${e.sync.reason ? ` (${e.sync.reason})` : ""}`).join("; ");

  /**
   * Tries candidates in order, moving on only when the request surely did not reach one, or (idempotent
   * and replayable calls) when it failed there in a way that makes sending it elsewhere safe.
   * A stream's endpoint stays outstanding until `finish` is called.
   */
  const once = async (call: Call, callOptions: CallOptions): Promise<{ response: Response; data?: unknown; endpoint: Endpoint; finish: () => void }> => {
    // Given the chain, nothing is routable before the first check read it and the nodes.
    if (options.chain && !checkedOnce) await (firstCheck ??= checkHealth());
    const order = candidates();
    if (order.length === 0) throw new NoEndpointError(`no node is in sync with the chain to answer ${call.path}: ${explain()}`);
    let lastError: unknown;
    let previous: Endpoint | undefined;
    for (const endpoint of order) {
      if (previous && lastError) emit({ type: "failover", from: previous.url, to: endpoint.url, error: String((lastError as Error).message) });
      endpoint.outstanding += 1;
      let open = true;
      const finish = () => {
        if (!open) return;
        open = false;
        endpoint.outstanding -= 1;
      };
      try {
        const sent = await endpoint.breaker.execute(() => send(endpoint, call, callOptions));
        endpoint.served += 1;
        if (!call.stream) finish();
        return { ...sent, endpoint, finish };
      } catch (error) {
        finish();
        if (isEndpointFailure(error) && !(error instanceof BrokenCircuitError)) endpoint.errors += 1;
        if (callOptions.signal?.aborted) throw error;
        lastError = error;
        previous = endpoint;
        const moveOn = isNotDelivered(error) || (call.idempotent && isEndpointFailure(error)) || (call.replayable === true && (isRefused(error) || isConnectionLost(error)));
        if (!moveOn) throw error;
      }
    }
    throw new NoEndpointError(`no node endpoint could answer ${call.path}: ${(lastError as Error)?.message}`, { cause: lastError });
  };

  const request = async <T>(call: Call, callOptions: CallOptions = {}): Promise<T & Answered> => {
    const run = async () => {
      const { data, endpoint } = await once(call, callOptions);
      return { ...(data as T), endpoint: endpoint.url };
    };
    return call.idempotent ? retryPolicy.execute(run, callOptions.signal) : run();
  };

  let chainRead: ChainAdoptions | undefined;
  let chainError: string | null = null;
  let checkedOnce = false;
  let firstCheck: Promise<EndpointStatus[]> | undefined;
  const checkHealth = async (): Promise<EndpointStatus[]> => {
    // The chain first, then the nodes: a node is judged against adoptions no newer than its report.
    if (options.chain) {
      try {
        chainRead = await options.chain.read();
        chainError = null;
      } catch (error) {
        // The last adoptions read stay in force (nodes keep serving what they applied, too).
        chainError = String((error as Error).message ?? error).split("\n")[0]!;
      }
    }
    await Promise.all(
      endpoints.map(async (endpoint) => {
        let healthy = false;
        let degraded = false;
        let report: HealthReport | undefined;
        try {
          const response = await fetch(`${endpoint.url}/health`, { dispatcher: endpoint.agent, signal: AbortSignal.timeout(2_000) });
          healthy = response.ok;
          const body = (await response.json().catch(() => ({}))) as { status?: unknown };
          degraded = healthy && body.status === "degraded";
          if (typeof body === "object" && body !== null && "governance" in body) report = body as HealthReport;
        } catch {}
        if (healthy !== endpoint.healthy || degraded !== endpoint.degraded) emit({ type: "health", endpoint: endpoint.url, healthy, degraded });
        endpoint.healthy = healthy;
        endpoint.degraded = degraded;
        endpoint.report = healthy ? report : undefined;
        if (report) endpoint.capacity = Math.max(1, report.scheduler?.limit ?? report.generation?.capacity ?? 1);
        let sync = judgeSync(endpoint.report, chainRead);
        if (options.chain && !chainRead) sync = { state: "unchecked", reason: `the chain could not be read: ${chainError}` };
        if (sync.state !== endpoint.sync.state || sync.reason !== endpoint.sync.reason) emit({ type: "sync", endpoint: endpoint.url, state: sync.state, reason: sync.reason });
        endpoint.sync = sync;
      }),
    );
    checkedOnce = true;
    return status();
  };
  const status = (): EndpointStatus[] =>
    endpoints.map((e) => ({
      url: e.url,
      healthy: e.healthy,
      degraded: e.degraded,
      breaker: e.breakerState(),
      sync: e.sync.state,
      reason: e.sync.reason,
      syncedBlock: e.report?.governance.syncedBlock ?? null,
      capacity: e.capacity,
      outstanding: e.outstanding,
      served: e.served,
      errors: e.errors,
    }));

  const healthCheckMs = options.healthCheckMs ?? 5_000;
  const timer = healthCheckMs > 0 ? setInterval(() => void checkHealth(), healthCheckMs) : undefined;
  timer?.unref();

  return {
    health: (callOptions) => request<Health>({ method: "GET", path: "/health", idempotent: true }, callOptions),
    embed: (body, callOptions) => request<EmbedResponse>({ method: "POST", path: "/embed", body, idempotent: true }, callOptions),
    generate: (body, callOptions) =>
      request<GenerateResponse>({ method: "POST", path: "/generate", body: { ...body, stream: false }, idempotent: false, replayable: true }, callOptions),
    async *generateStream(body, callOptions = {}) {
      // Replayable until the first byte only: once tokens went out, a cut stream is the caller's to see.
      const { response, finish } = await once({ method: "POST", path: "/generate", body: { ...body, stream: true }, idempotent: false, replayable: true, stream: true }, callOptions);
      try {
        if (!response.body) throw new Error("the node sent no stream");
        callOptions.onHeaders?.(response.headers);
        for await (const event of sseJson<GenerateStreamEvent>(response.body)) {
          // Events already parsed from the last chunk would still come out after an abort.
          callOptions.signal?.throwIfAborted();
          yield event;
        }
      } finally {
        finish();
      }
    },
    models: (callOptions) => request<{ data: Array<{ id: string }> }>({ method: "GET", path: "/v1/models", idempotent: true }, callOptions),
    governance: (callOptions) => request<GovernanceState>({ method: "GET", path: "/api/governance", idempotent: true }, callOptions),
    federatedLookup: (body, callOptions) => request<FederatedLookupResponse>({ method: "POST", path: "/api/federation/lookup", body, idempotent: true }, callOptions),
    checkHealth,
    endpoints: status,
    chain: () =>
      options.chain
        ? { registry: options.chain.registry, chainId: chainRead?.chainId ?? null, block: chainRead?.block ?? null, adoptions: chainRead?.adoptions ?? {}, error: chainError }
        : null,
    async close() {
      clearInterval(timer);
      await Promise.all(endpoints.map((e) => e.agent.close()));
    },
  };
}
