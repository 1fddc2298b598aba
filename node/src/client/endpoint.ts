/**
 * One node the client talks to: a keep-alive connection pool (undici Agent), a circuit breaker
 * (cockatiel: closed -> open after N consecutive failures -> half-open after a pause -> closed on a
 * success) and the result of the last health check.
 */
import { Agent } from "undici";
import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from "cockatiel";
import { isEndpointFailure } from "./errors.ts";

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
    breakerState: () => STATE_NAMES[breaker.state],
  };
}
