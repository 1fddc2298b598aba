/**
 * One node the client talks to: a keep-alive connection pool (undici Agent), a circuit breaker
 * (cockatiel: closed -> open after N consecutive failures -> half-open after a pause -> closed on a
 * success) and the result of the last health check.
 */
import { Agent } from "undici";
import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from "cockatiel";
import type { HealthReport } from "@ns-llm/contracts";
import { isEndpointFailure } from "./errors.ts";
import type { SyncVerdict } from "./sync.ts";

export type BreakerState = "closed" | "open" | "half-open" | "isolated";

export type BreakerOptions = {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one trial request. */
  halfOpenAfterMs: number;
};

export type Endpoint = {
  url: string;
  agent: Agent;
  breaker: CircuitBreakerPolicy;
  healthy: boolean;
  degraded: boolean;
  /** The last /health report (undefined before one answered, or after one failed). */
  report: HealthReport | undefined;
  /** Whether it runs what the chain says (or "unchecked" when the client reads no chain). */
  sync: SyncVerdict;
  /** Parallel generations it advertises (/health `scheduler.limit`): the weight of its share. */
  capacity: number;
  /** Requests of this client it holds now; answers it gave; requests that failed on it. */
  outstanding: number;
  served: number;
  errors: number;
  breakerState(): BreakerState;
};

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half-open",
  [CircuitState.Isolated]: "isolated",
};

export function createEndpoint(
  url: string,
  options: BreakerOptions & { connections: number; onStateChange: (state: BreakerState) => void },
): Endpoint {
  const agent = new Agent({ connections: options.connections, keepAliveTimeout: 10_000, connectTimeout: 2_000 });
  const breaker = circuitBreaker(handleWhen(isEndpointFailure), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.failureThreshold),
  });
  breaker.onStateChange((state) => options.onStateChange(STATE_NAMES[state]));
  return {
    url: url.replace(/\/+$/, ""),
    agent,
    breaker,
    healthy: true,
    degraded: false,
    report: undefined,
    sync: { state: "unchecked", reason: null },
    capacity: 1,
    outstanding: 0,
    served: 0,
    errors: 0,
    breakerState: () => STATE_NAMES[breaker.state],
  };
}
