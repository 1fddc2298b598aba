/** The wire contract of the node's HTTP API and of manifests, shared by the node and the dApp. */
export * from "./manifest.ts";
export * from "./manifest-schema.ts";
export * from "./manifest-encoding.ts";
export * from "./proposals.ts";
export * from "./errors.ts";
export * from "./answers.ts";
export * from "./governance.ts";
export * from "./health.ts";
export * from "./audit.ts";
export * from "./native-api.ts";
export * from "./dry-run.ts";
export * from "./canary.ts";
export * from "./validation.ts";
export * from "./federation.ts";
export * from "./plugins.ts";
export * from "./release.ts";
export * from "./release-key.ts";
