/**
 * ns-llm-client: a typed client of the node's API for other programs. Keeps connections alive,
 * times every request out, retries idempotent calls with exponential backoff and jitter, breaks
 * the circuit of an endpoint that keeps failing, and fails over between several endpoints by
 * health. Every state change is reported through `onEvent`.
 */
import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import { fetch, type Response } from "undici";
import { createEndpoint, type BreakerOptions, type BreakerState, type Endpoint } from "./endpoint.ts";
import { isEndpointFailure, isNotDelivered, NodeHttpError, NodeTimeoutError, NoEndpointError } from "./errors.ts";
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
};

/** `healthy`: its /health answered; `degraded`: it said "degraded" (e.g. a model is missing). */
export type EndpointStatus = { url: string; healthy: boolean; degraded: boolean; breaker: BreakerState };

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
  close(): Promise<void>;
};

export type CallOptions = {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** generateStream: the node's response headers (its provenance), before the first event. */
  onHeaders?: (headers: Headers) => void;
};

type Call = { method: "GET" | "POST"; path: string; body?: unknown; idempotent: boolean; stream?: boolean };

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

  /** Tries endpoints in rank order, moving on only when the request surely did not reach one. */
  const once = async (call: Call, callOptions: CallOptions): Promise<{ response: Response; data?: unknown; endpoint: Endpoint }> => {
    let lastError: unknown;
    let previous: Endpoint | undefined;
    for (const endpoint of ranked()) {
      if (previous && lastError) emit({ type: "failover", from: previous.url, to: endpoint.url, error: String((lastError as Error).message) });
      try {
        const sent = await endpoint.breaker.execute(() => send(endpoint, call, callOptions));
        return { ...sent, endpoint };
      } catch (error) {
        if (callOptions.signal?.aborted) throw error;
        lastError = error;
        previous = endpoint;
        if (!isNotDelivered(error) && !(call.idempotent && isEndpointFailure(error))) throw error;
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

  const checkHealth = async (): Promise<EndpointStatus[]> => {
    await Promise.all(
      endpoints.map(async (endpoint) => {
        let healthy = false;
        let degraded = false;
        try {
          const response = await fetch(`${endpoint.url}/health`, { dispatcher: endpoint.agent, signal: AbortSignal.timeout(2_000) });
          healthy = response.ok;
          const body = (await response.json().catch(() => ({}))) as { status?: unknown };
          degraded = healthy && body.status === "degraded";
        } catch {}
        if (healthy !== endpoint.healthy || degraded !== endpoint.degraded) emit({ type: "health", endpoint: endpoint.url, healthy, degraded });
        endpoint.healthy = healthy;
        endpoint.degraded = degraded;
      }),
    );
    return status();
  };
  const status = (): EndpointStatus[] => endpoints.map((e) => ({ url: e.url, healthy: e.healthy, degraded: e.degraded, breaker: e.breakerState() }));

  const healthCheckMs = options.healthCheckMs ?? 5_000;
  const timer = healthCheckMs > 0 ? setInterval(() => void checkHealth(), healthCheckMs) : undefined;
  timer?.unref();

  return {
    health: (callOptions) => request<Health>({ method: "GET", path: "/health", idempotent: true }, callOptions),
    embed: (body, callOptions) => request<EmbedResponse>({ method: "POST", path: "/embed", body, idempotent: true }, callOptions),
    generate: (body, callOptions) => request<GenerateResponse>({ method: "POST", path: "/generate", body: { ...body, stream: false }, idempotent: false }, callOptions),
    async *generateStream(body, callOptions = {}) {
      const { response } = await once({ method: "POST", path: "/generate", body: { ...body, stream: true }, idempotent: false, stream: true }, callOptions);
      if (!response.body) throw new Error("the node sent no stream");
      callOptions.onHeaders?.(response.headers);
      for await (const event of sseJson<GenerateStreamEvent>(response.body)) {
        // Events already parsed from the last chunk would still come out after an abort.
        callOptions.signal?.throwIfAborted();
        yield event;
      }
    },
    models: (callOptions) => request<{ data: Array<{ id: string }> }>({ method: "GET", path: "/v1/models", idempotent: true }, callOptions),
    governance: (callOptions) => request<GovernanceState>({ method: "GET", path: "/api/governance", idempotent: true }, callOptions),
    federatedLookup: (body, callOptions) => request<FederatedLookupResponse>({ method: "POST", path: "/api/federation/lookup", body, idempotent: true }, callOptions),
    checkHealth,
    endpoints: status,
    async close() {
      clearInterval(timer);
      await Promise.all(endpoints.map((e) => e.agent.close()));
    },
  };
}
