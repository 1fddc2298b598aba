import { BrokenCircuitError } from "cockatiel";
import { NsLlmError } from "../errors.ts";

/** The node answered with an error status; `code` and `message` come from its JSON body. */
export class NodeHttpError extends NsLlmError {
  readonly status: number;
  readonly endpoint: string;
  readonly retryAfterMs: number | undefined;

  constructor(endpoint: string, status: number, code: string, message: string, retryAfterMs?: number) {
    super(code, `${endpoint} answered ${status} ${code}: ${message}`, { transient: status >= 500 || status === 429 });
    this.endpoint = endpoint;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The node took longer than the call's timeout (for a stream: until its first byte). */
export class NodeTimeoutError extends NsLlmError<"timeout"> {
  readonly endpoint: string;
  readonly timeoutMs: number;

  constructor(endpoint: string, what: string, timeoutMs: number) {
    super("timeout", `${endpoint} did not answer ${what} within ${timeoutMs} ms`, { transient: true });
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
  }
}

/** No endpoint could take the request: every one is down, open-circuited or timed out. */
export class NoEndpointError extends NsLlmError<"node_unavailable"> {
  constructor(message: string, options?: { cause?: unknown }) {
    super("node_unavailable", message, { transient: true, cause: options?.cause });
  }
}

/**
 * Whether a failure says something about the endpoint's health (counts toward its circuit
 * breaker): connection errors, timeouts, 5xx and 429. A 4xx is the caller's fault.
 */
export function isEndpointFailure(error: unknown): boolean {
  if (error instanceof NodeHttpError) return error.status >= 500 || error.status === 429;
  if (error instanceof DOMException && error.name === "AbortError") return false;
  return true;
}

/** Whether the request surely never reached the node, so sending it elsewhere is always safe. */
export function isNotDelivered(error: unknown): boolean {
  const code = (error as { code?: string; cause?: { code?: string } })?.cause?.code ?? (error as { code?: string })?.code;
  // cockatiel's BrokenCircuitError keeps the name "Error": test the class, not the name.
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "UND_ERR_CONNECT_TIMEOUT" || error instanceof BrokenCircuitError;
}

/**
 * Whether the connection broke under the request (the node died or restarted while it worked):
 * its work is gone with it, so sending the request to another node cannot run it twice.
 */
export function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: string; cause?: { code?: string } })?.cause?.code ?? (error as { code?: string })?.code;
  return code === "UND_ERR_SOCKET" || code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_CLOSED";
}

/** A refusal before any work: overloaded (429) or unavailable (503: loading, draining, shutting down). */
export function isRefused(error: unknown): boolean {
  return error instanceof NodeHttpError && (error.status === 429 || error.status === 503);
}
