/**
 * Reads of the NS-LLM node's status routes from the browser (SPEC.md "HTTP API of the node"):
 * /health, /api/governance, /metrics, typed by the protocol the node answers with. What they say is
 * the node's own report: the dApp shows it beside what the chain holds, never as proof of it. An
 * unreachable node and an error answer become a NodeRequestError that says which.
 */
import type { GovernanceResponse, HealthReport } from "@ns-llm/contracts";
import type { Address } from "viem";

export type NodeRequestErrorKind = "unreachable" | "http";

/** A node request that failed: `unreachable` (no answer: down, wrong URL, CORS) or `http` (an error status). */
export class NodeRequestError extends Error {
  readonly kind: NodeRequestErrorKind;
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(kind: NodeRequestErrorKind, message: string, status?: number, code?: string) {
    super(message);
    this.name = "NodeRequestError";
    this.kind = kind;
    this.status = status;
    this.code = code;
  }
}

const TIMEOUT_MS = 8_000;

/** The default node's origin and its API token (from the server's config), if it has one. */
let nodeAuth: { origin: string; token: string } | undefined;

/**
 * Remembers the API token of the node at `nodeUrl` (the default node, whose token the server
 * gave): requests to that origin carry it, requests to any other URL never do.
 */
export function setNodeToken(nodeUrl: string, token: string | null): void {
  try {
    nodeAuth = token ? { origin: new URL(nodeUrl).origin, token } : undefined;
  } catch {
    nodeAuth = undefined;
  }
}

/** `init.headers` plus `Authorization: Bearer <token>` when `url` is the default node's. */
export function withNodeAuth(url: URL, init: RequestInit = {}): RequestInit {
  if (!nodeAuth || url.origin !== nodeAuth.origin) return init;
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${nodeAuth.token}`);
  return { ...init, headers };
}

/** `fetch` against the node; network failures and error statuses become NodeRequestErrors. */
export async function nodeFetch(nodeUrl: string, path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  let url: URL;
  try {
    url = new URL(path, nodeUrl);
  } catch {
    throw new NodeRequestError("unreachable", `"${nodeUrl}" is not a URL; change the node URL in the settings`);
  }
  try {
    response = await fetch(url, { cache: "no-store", ...withNodeAuth(url, init), signal: init.signal ?? AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    if ((error as Error).name === "AbortError" && init.signal?.aborted) throw error;
    throw new NodeRequestError(
      "unreachable",
      `the node at ${nodeUrl} is not reachable (${(error as Error).message}); start it with "ns-llm serve", or change the node URL in the settings (the node must allow this page's origin in NS_LLM_CORS_ORIGINS)`,
    );
  }
  if (!response.ok) throw await httpError(response);
  return response;
}

/** The node's JSON error body (`{"error": {"code", "message"}}`) as a NodeRequestError. */
export async function httpError(response: Response): Promise<NodeRequestError> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const code = body?.error?.code;
  const message = body?.error?.message ?? response.statusText;
  return new NodeRequestError("http", `the node answered ${response.status}${code ? ` ${code}` : ""}: ${message}`, response.status, code);
}

export async function nodeJson<T>(nodeUrl: string, path: string, init?: RequestInit): Promise<T> {
  return (await (await nodeFetch(nodeUrl, path, init)).json()) as T;
}

export type { AppliedRole, GovernanceResponse, HealthReport } from "@ns-llm/contracts";

/** Whether the node follows no chain (its governance report says why). */
export function governanceOff(g: HealthReport["governance"] | GovernanceResponse | undefined): g is Extract<HealthReport["governance"] | GovernanceResponse, { enabled: false }> {
  return !g || g.enabled === false;
}

export const getHealth = (nodeUrl: string) => nodeJson<HealthReport>(nodeUrl, "/health");
export const getGovernance = (nodeUrl: string) => nodeJson<GovernanceResponse>(nodeUrl, "/api/governance");

/** A /metrics text: the node's, or (`what` = "gateway") the gateway's, whose errors then name it. */
export async function getMetricsText(url: string, what: "node" | "gateway" = "node"): Promise<string> {
  try {
    return await (await nodeFetch(url, "/metrics")).text();
  } catch (error) {
    if (what === "gateway" && error instanceof NodeRequestError && error.kind === "unreachable") {
      throw new NodeRequestError("unreachable", `the gateway at ${url} is not reachable (start it with "ns-llm gateway"; it must allow this page's origin in NS_LLM_CORS_ORIGINS)`);
    }
    throw error;
  }
}

/** The operator address /health gives: the account that anchors this node's audit batches. */
export function operatorFromHealth(health: HealthReport | undefined): Address | undefined {
  const value = health?.audit.node;
  return typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value) ? value : undefined;
}
