export { createNodeClient, type Answered, type CallOptions, type ChainStatus, type EndpointStatus, type NodeClient, type NodeClientOptions } from "./create-node-client.ts";
export { NodeHttpError, NodeTimeoutError, NoEndpointError } from "./errors.ts";
export type * from "./types.ts";
export { chainAdoptionsReader, SERVED_ROLES, type ChainAdoptions, type ChainAdoptionsReader } from "./chain-adoptions.ts";
export { judgeSync, type SyncState, type SyncVerdict } from "./sync.ts";
export { orderByLoad, loadScore } from "./balance.ts";
