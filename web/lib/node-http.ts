/**
 * Reads of the NS-LLM node's status routes from the browser (SPEC.md "HTTP API of the node"):
 * /health, /api/governance, /metrics. The shapes are the SPEC's, typed loosely where the node may
 * add fields. An unreachable node and an error answer become a NodeRequestError that says which.
 */
import type { Address } from "viem";
import type { Role } from "@ns-llm/contracts";

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
    response = await fetch(url, { cache: "no-store", ...init, signal: init.signal ?? AbortSignal.timeout(TIMEOUT_MS) });
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

export type GovernanceHealth = {
  enabled?: true;
  chainId: number | null;
  registry: string | null;
  syncedBlock: number | string | null;
  lag: number | string | null;
  lastError?: { message: string } | null;
};
export type GovernanceOff = { enabled: false; reason: string };

export function governanceOff(g: GovernanceHealth | GovernanceOff | undefined): g is GovernanceOff {
  return !g || g.enabled === false;
}

export type RoleHealth = { ready: boolean; model: string | null; manifest: string | null; version?: number | null; error?: string };

export type NodeHealth = {
  status: "ok" | "degraded";
  reasons?: string[];
  embedding: RoleHealth;
  generation: RoleHealth & { capacity?: number };
  scheduler?: { active: number; queued: number; limit: number; maxQueue: number };
  governance: GovernanceHealth | GovernanceOff;
  ipfs?: { mode: string; [key: string]: unknown };
  audit?: {
    entries?: number;
    anchoredThrough?: number | null;
    enabled?: false;
    anchoring?: "enabled" | "disabled";
    disabledReason?: string | null;
    pendingBatches?: number;
    batches?: number;
    /** The operator's address (the key that anchors), when the node exposes it. */
    operator?: Address | null;
    node?: Address | null;
    contract?: Address | null;
    chainId?: number | null;
    lastError?: string | null;
    [key: string]: unknown;
  };
  search?: { documents: number };
  /** Governed limits, when the node exposes them (see chat-limits.ts). */
  limits?: unknown;
  parameters?: unknown;
};

export type AppliedRole = { version: number; cid: string; model: string; appliedAt: string };

export type NodeGovernance = {
  enabled?: boolean;
  reason?: string;
  chainId: number | null;
  registry: string | null;
  syncedBlock?: number | null;
  lag?: number | null;
  applied: Partial<Record<Role, AppliedRole>>;
  history: { role: Role; version: number; cid: string; status: string; code: string | null; reason: string | null; time: string }[];
  lastError: { role?: Role; version?: number; cid?: string; code?: string; message: string; time?: string; retrying?: boolean } | null;
  parameters?: unknown;
  limits?: unknown;
};

export const getHealth = (nodeUrl: string) => nodeJson<NodeHealth>(nodeUrl, "/health");
export const getGovernance = (nodeUrl: string) => nodeJson<NodeGovernance>(nodeUrl, "/api/governance");

export async function getMetricsText(nodeUrl: string): Promise<string> {
  return (await nodeFetch(nodeUrl, "/metrics")).text();
}

/** The operator address /health gives (`audit.operator`, or the anchorer's `audit.node`). */
export function operatorFromHealth(health: NodeHealth | undefined): Address | undefined {
  const audit = health?.audit;
  const value = audit?.operator ?? audit?.node;
  return typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value) ? value : undefined;
}
