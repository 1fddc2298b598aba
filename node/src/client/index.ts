export { createNodeClient, type Answered, type CallOptions, type EndpointStatus, type NodeClient, type NodeClientOptions } from "./create-node-client.ts";
export { NodeHttpError, NodeTimeoutError, NoEndpointError } from "./errors.ts";
export type * from "./types.ts";
