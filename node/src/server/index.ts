/**
 * The node's HTTP API: HTTP only. `createServer` sets up errors, auth, CORS and metrics and
 * registers the route groups, each a plugin that receives its dependencies in its options.
 */
export { BODY_LIMIT, createServer, type CreateServerParameters, type ServerPlugin } from "./create-server.ts";
export { listen, type ListenParameters } from "./listen.ts";
export { assertSafeBind, isLoopbackHost, tokenCheck, unauthorized, UnsafeBindError, type AuthOptions } from "./auth.ts";
export { hostAllowed, originAllowed, registerRequestPolicy, sameOriginAs, type RequestPolicy } from "./request-policy.ts";
export { isApiPath, pageProxy, type PageHandler, type PageTarget } from "./page-proxy.ts";
export { HTTP_LIMITS, limitConnections, limitedServerOptions, type HttpLimits } from "./limits.ts";
export { clientErrorHandler } from "./client-errors.ts";
export { ApiError, errorBody, frameworkErrors, sendError, toApiError, type ErrorBody } from "./errors.ts";
export { openSse, type SseStream } from "./sse.ts";
export { observeRequests, type RequestObservation } from "./observe-requests.ts";
export { provenanceHeaders } from "./provenance-headers.ts";
export { nativeRoutes, type NativeRoutesOptions } from "./routes/native.ts";
export { openAiRoutes, type OpenAiRoutesOptions } from "./routes/openai.ts";
export { systemRoutes, type SystemRoutesOptions } from "./routes/system.ts";
export { auditRoutes, AUDIT_PAGE_MAX, type AuditRoutesOptions } from "./routes/audit.ts";
export { manifestRoutes, type ManifestRoutesOptions, type ManifestValidator } from "./routes/manifests.ts";
export { ipfsAddRoute, type IpfsAddRouteOptions, type IpfsAddRouteReturnType } from "./routes/ipfs.ts";
export { ollamaRoutes, type OllamaRoutesOptions } from "./routes/ollama.ts";
export { dryRunRoutes, type DryRunRoutesOptions } from "./routes/dry-runs.ts";
export { federationRoutes, type FederationRoutesOptions } from "./routes/federation.ts";
export { pluginRoutes, type PluginRoutesOptions } from "./routes/plugins.ts";
