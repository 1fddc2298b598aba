/**
 * ns-llm-client: a typed client of the node's API for other programs. Keeps connections alive,
 * times every request out, retries idempotent calls with exponential backoff and jitter, breaks
 * the circuit of an endpoint that keeps failing, and fails over between several endpoints by
 * health. Every state change is reported through `onEvent`.
 */
import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import { fetch, type Response } from "undici";
import { createEndpoint, type BreakerOptions, type BreakerState, type Endpoint } from "./endpoint.ts";
import { isEndpointFailure, isNotDelivered, NodeHttpError, NoEndpointError } from "./errors.ts";
import { sseJson } from "./sse.ts";
import type { ClientEvent, EmbedRequest, EmbedResponse, GenerateRequest, GenerateResponse, GenerateStreamEvent, Health } from "./types.ts";

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

export type EndpointStatus = { url: string; healthy: boolean; breaker: BreakerState };

export type NodeClient = {
  health(options?: CallOptions): Promise<Health & { endpoint: string }>;
  embed(request: EmbedRequest, options?: CallOptions): Promise<EmbedResponse>;
  generate(request: GenerateRequest, options?: CallOptions): Promise<GenerateResponse>;
  /** Token events as they come, then one `{done: true, ...}`. Abort with `options.signal`. */
  generateStream(request: GenerateRequest, options?: CallOptions): AsyncGenerator<GenerateStreamEvent>;
  models(options?: CallOptions): Promise<{ data: Array<{ id: string }> }>;
  /** Checks every endpoint now (the background checks call this). */
  checkHealth(): Promise<EndpointStatus[]>;
  endpoints(): EndpointStatus[];
  close(): Promise<void>;
};

export type CallOptions = { signal?: AbortSignal; timeoutMs?: number };

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

  /** Healthy, closed circuits first; the configured order breaks ties. */
  const ranked = (): Endpoint[] => {
    const rank = (e: Endpoint) => (e.healthy ? 0 : 2) + (e.breakerState() === "closed" ? 0 : 1);
    return [...endpoints].sort((a, b) => rank(a) - rank(b));
  };

  const send = async (endpoint: Endpoint, call: Call, callOptions: CallOptions): Promise<Response> => {
    lastEndpoint = endpoint.url;
    const signals = [AbortSignal.timeout(callOptions.timeoutMs ?? timeoutMs)];
    if (callOptions.signal) signals.push(callOptions.signal);
    const response = await fetch(`${endpoint.url}${call.path}`, {
      method: call.method,
      dispatcher: endpoint.agent,
      signal: call.stream ? callOptions.signal : AbortSignal.any(signals),
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
      const retryAfter = Number(response.headers.get("retry-after"));
      throw new NodeHttpError(endpoint.url, response.status, code, message, Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined);
    }
    return response;
  };

  /** Tries endpoints in rank order, moving on only when the request surely did not reach one. */
  const once = async (call: Call, callOptions: CallOptions): Promise<{ response: Response; endpoint: Endpoint }> => {
    let lastError: unknown;
    let previous: Endpoint | undefined;
    for (const endpoint of ranked()) {
      if (previous && lastError) emit({ type: "failover", from: previous.url, to: endpoint.url, error: String((lastError as Error).message) });
      try {
        const response = await endpoint.breaker.execute(() => send(endpoint, call, callOptions));
        return { response, endpoint };
      } catch (error) {
        if (callOptions.signal?.aborted) throw error;
        lastError = error;
        previous = endpoint;
        if (!isNotDelivered(error) && !(call.idempotent && isEndpointFailure(error))) throw error;
      }
    }
    throw new NoEndpointError(`no node endpoint could answer ${call.path}: ${(lastError as Error)?.message}`, { cause: lastError });
  };

  const request = async <T>(call: Call, callOptions: CallOptions = {}): Promise<T & { endpoint: string }> => {
    const run = async () => {
      const { response, endpoint } = await once(call, callOptions);
      return { ...((await response.json()) as T), endpoint: endpoint.url };
    };
    return call.idempotent ? retryPolicy.execute(run, callOptions.signal) : run();
  };

  const checkHealth = async (): Promise<EndpointStatus[]> => {
    await Promise.all(
      endpoints.map(async (endpoint) => {
        let healthy = false;
        try {
          const response = await fetch(`${endpoint.url}/health`, { dispatcher: endpoint.agent, signal: AbortSignal.timeout(2_000) });
          healthy = response.ok;
          await response.body?.cancel();
        } catch {}
        if (healthy !== endpoint.healthy) emit({ type: "health", endpoint: endpoint.url, healthy });
        endpoint.healthy = healthy;
      }),
    );
    return status();
  };
  const status = (): EndpointStatus[] => endpoints.map((e) => ({ url: e.url, healthy: e.healthy, breaker: e.breakerState() }));

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
      yield* sseJson<GenerateStreamEvent>(response.body as unknown as ReadableStream<Uint8Array>);
    },
    models: (callOptions) => request<{ data: Array<{ id: string }> }>({ method: "GET", path: "/v1/models", idempotent: true }, callOptions),
    checkHealth,
    endpoints: status,
    async close() {
      clearInterval(timer);
      await Promise.all(endpoints.map((e) => e.agent.close()));
    },
  };
}
