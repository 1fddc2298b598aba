export { createNodeClient, type CallOptions, type EndpointStatus, type NodeClient, type NodeClientOptions } from "./create-node-client.ts";
export { NodeHttpError, NoEndpointError } from "./errors.ts";
export type * from "./types.ts";
