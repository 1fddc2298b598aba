import { BrokenCircuitError } from "cockatiel";

/** The node answered with an error status; `code` and `message` come from its JSON body. */
export class NodeHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly endpoint: string;
  readonly retryAfterMs: number | undefined;

  constructor(endpoint: string, status: number, code: string, message: string, retryAfterMs?: number) {
    super(`${endpoint} answered ${status} ${code}: ${message}`);
    this.name = "NodeHttpError";
    this.endpoint = endpoint;
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The node took longer than the call's timeout (for a stream: until its first byte). */
export class NodeTimeoutError extends Error {
  readonly endpoint: string;
  readonly timeoutMs: number;

  constructor(endpoint: string, what: string, timeoutMs: number) {
    super(`${endpoint} did not answer ${what} within ${timeoutMs} ms`);
    this.name = "NodeTimeoutError";
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
  }
}

/** No endpoint could take the request: every one is down, open-circuited or timed out. */
export class NoEndpointError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NoEndpointError";
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
