import type { Command } from "../command.ts";

/**
 * Every command of `ns-llm`, in the order `--help` lists them. Each lives in its own file of this
 * folder and is imported lazily, so `ns-llm status` does not load llama.cpp.
 */
export const COMMANDS: ReadonlyArray<Pick<Command, "name" | "usage" | "summary"> & { load: () => Promise<Command> }> = [
  { name: "serve", usage: "serve [--demo] [--no-chain]", summary: "start the node (API, follower, audit, IPFS)", load: async () => (await import("./serve.ts")).default },
  { name: "status", usage: "status [--url URL] [--json]", summary: "the node's health, for a person", load: async () => (await import("./status.ts")).default },
  { name: "models make-demo", usage: "models make-demo --out DIR [--vision]", summary: "write the generated demo models and their manifests (--vision: the demo image encoder too)", load: async () => (await import("./models-make-demo.ts")).default },
  { name: "models pull", usage: "models pull <manifest> [--from DIR]", summary: "download, verify and store a manifest's artifacts (progress bar)", load: async () => (await import("./models-pull.ts")).default },
  { name: "models list", usage: "models list", summary: "what the model store holds, and which manifests reference it", load: async () => (await import("./models-list.ts")).default },
  { name: "models verify", usage: "models verify", summary: "re-check every stored blob's digest", load: async () => (await import("./models-verify.ts")).default },
  { name: "gc", usage: "gc [--dry-run] [--grace S] [--json]", summary: "remove model blobs and IPFS blocks no applied or pending manifest references", load: async () => (await import("./gc.ts")).default },
  { name: "adoption list", usage: "adoption list [--limit N] [--json]", summary: "the adoptions this node saw, and why a refused one failed (operator detail)", load: async () => (await import("./adoption.ts")).adoptionList },
  { name: "adoption retry", usage: "adoption retry <role>", summary: "try a refused adoption again (the running node picks it up)", load: async () => (await import("./adoption.ts")).adoptionRetry },
  { name: "manifest validate", usage: "manifest validate <file> [--local]", summary: "check a manifest against the schema; prints its digest", load: async () => (await import("./manifest-validate.ts")).default },
  { name: "manifest publish", usage: "manifest publish <file> [--json]", summary: "check a manifest and add it to IPFS; prints its CID and digest", load: async () => (await import("./manifest-publish.ts")).default },
  { name: "manifest show", usage: "manifest show <cid> [--timeout S] [--json]", summary: "fetch a manifest from IPFS and print it", load: async () => (await import("./manifest-show.ts")).default },
  { name: "ipfs add", usage: "ipfs add <file> [--json]", summary: "add a file to IPFS (e.g. a model artifact); prints its CID", load: async () => (await import("./ipfs-add.ts")).default },
  { name: "propose", usage: "propose --role R --manifest <file|cid> [--description T] [--release-key <pem>]", summary: "submit an adoption proposal (publishes the manifest first)", load: async () => (await import("./propose.ts")).default },
  { name: "delegate", usage: "delegate [address] [--json]", summary: "give the signer's NSG votes to an address (default: itself)", load: async () => (await import("./delegate.ts")).default },
  { name: "vote", usage: "vote <proposalId> for|against|abstain [--reason T]", summary: "vote on an open proposal with the signer's delegated NSG", load: async () => (await import("./vote.ts")).default },
  { name: "proposal show", usage: "proposal show <proposalId> [--json]", summary: "a proposal's state, votes, quorum and times, read from the governor", load: async () => (await import("./proposal.ts")).proposalShow },
  { name: "proposal queue", usage: "proposal queue <proposalId>", summary: "queue a passed proposal in the timelock", load: async () => (await import("./proposal.ts")).proposalQueue },
  { name: "proposal execute", usage: "proposal execute <proposalId>", summary: "execute a queued proposal once the timelock's delay has passed", load: async () => (await import("./proposal.ts")).proposalExecute },
  { name: "audit verify", usage: "audit verify [--seq N] [--no-chain]", summary: "check the hash chain, the Merkle batches and the anchors on chain", load: async () => (await import("./audit-verify.ts")).default },
  { name: "audit anchor", usage: "audit anchor", summary: "close the pending audit batch and anchor it now", load: async () => (await import("./audit-anchor.ts")).default },
  { name: "dev pass", usage: "dev pass <proposalId>", summary: "dev chain only: vote with the dev accounts, advance time, queue, execute", load: async () => (await import("./dev-pass.ts")).default },
  { name: "release verify", usage: "release verify <package> --manifest <release.json> [--key <pem>]", summary: "check a downloaded package against a signed release manifest", load: async () => (await import("./release-verify.ts")).default },
  { name: "release status", usage: "release status [--root DIR]", summary: "the versions of this install: current, previous, pinned", load: async () => (await import("./release-versions.ts")).releaseStatus },
  { name: "release rollback", usage: "release rollback [--root DIR]", summary: "run the previous version (at once under the supervisor, else from the next start)", load: async () => (await import("./release-versions.ts")).releaseRollback },
  { name: "release pin", usage: "release pin <version> | --unpin [--root DIR]", summary: "keep this install on a version (no update switches away)", load: async () => (await import("./release-versions.ts")).releasePin },
  { name: "plugin init", usage: "plugin init <dir> [--name NAME]", summary: "write a working plugin (hooks, a test) into a new folder", load: async () => (await import("./plugin.ts")).pluginInit },
  { name: "plugin check", usage: "plugin check <dir|package> [--json]", summary: "load a plugin as a node would and call each hook once", load: async () => (await import("./plugin.ts")).pluginCheck },
  { name: "plugin digest", usage: "plugin digest <dir|package>", summary: "the package digest a governed plugins field names", load: async () => (await import("./plugin.ts")).pluginDigest },
  { name: "gateway", usage: "gateway [--port P] [--node URL ...]", summary: "run the NS Node gateway (semantic cache, hybrid search, failover)", load: async () => (await import("./gateway.ts")).default },
  { name: "gateway add", usage: "gateway add <file|folder> ...", summary: "add documents to the gateway's search collection (Markdown, manifests, CSV and JSON rows)", load: async () => (await import("./gateway-add.ts")).default },
];
