import type { Command } from "../command.ts";

/**
 * Every command of `ns-llm`, in the order `--help` lists them. Each lives in its own file of this
 * folder and is imported lazily, so `ns-llm status` does not load llama.cpp.
 */
export const COMMANDS: ReadonlyArray<Pick<Command, "name" | "usage" | "summary"> & { load: () => Promise<Command> }> = [
  { name: "serve", usage: "serve [--demo] [--no-chain]", summary: "start the node (API, follower, audit, IPFS)", load: async () => (await import("./serve.ts")).default },
  { name: "status", usage: "status [--url URL] [--json]", summary: "the node's health, for a person", load: async () => (await import("./status.ts")).default },
  { name: "propose", usage: "propose --role R --manifest <file|cid> [--description T]", summary: "submit an adoption proposal (publishes the manifest first)", load: async () => (await import("./propose.ts")).default },
  { name: "dev pass", usage: "dev pass <proposalId>", summary: "dev chain only: vote with the dev accounts, advance time, queue, execute", load: async () => (await import("./dev-pass.ts")).default },
  { name: "gateway add", usage: "gateway add <file|folder> ...", summary: "add documents to the gateway's search collection", load: async () => (await import("./gateway-add.ts")).default },
  { name: "gateway", usage: "gateway [--port P] [--node URL ...]", summary: "run the NS Node gateway (semantic cache, hybrid search, failover)", load: async () => (await import("./gateway.ts")).default },
];
