/** The node's HTTP API. */
export { BODY_LIMIT, createServer } from "./create-server.ts";
export type { CreateServerDependencies, CreateServerReturnType, ServerPlugin } from "./create-server.ts";
export { listen } from "./listen.ts";
export type { ListenParameters } from "./listen.ts";
export { assertSafeBind, isLoopbackHost, UnsafeBindError } from "./auth.ts";
export type { AuthOptions } from "./auth.ts";
export { ApiError, errorBody, sendError } from "./errors.ts";
export { openSse, type SseStream } from "./sse.ts";
export type { ErrorBody } from "./errors.ts";
export { createMetrics } from "./metrics.ts";
export type { NodeMetrics } from "./metrics.ts";
export type { AuditRequestEntry, AuditSink, Provenance } from "./provenance.ts";
export type { GovernanceHealth, GovernanceStatusProvider, HealthProviders, HealthReport } from "./health.ts";
export type { GovernedParameters, GenerationOutcome } from "./generation-service.ts";
export type { RouteContext } from "./context.ts";
export { observeRequests, type RequestObservation } from "./observe-requests.ts";
