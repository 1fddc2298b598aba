/**
 * `@ns-llm/contracts`: the one package the node (`node/`), the dApp (`web/`), the deployment and
 * the tests share, so that no type of the wire contract is written twice.
 *
 * - abis.ts: every contract's ABI and bytecode, generated from the Hardhat build
 *   (scripts/generate-abis.ts; never edited by hand);
 * - roles.ts, deployment.ts: the governed roles and `deployments/<chainId>.json`;
 * - protocol/: what crosses the node's HTTP API and the chain besides the ABIs: manifests (types,
 *   schema, canonical encoding, digest), proposal states, the wire shapes of /health,
 *   /api/governance and /api/audit*, error codes, provenance headers.
 */
export * from "./abis.ts";
export * from "./roles.ts";
export * from "./deployment.ts";
export * from "./protocol/index.ts";
