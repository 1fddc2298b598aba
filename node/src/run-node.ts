/**
 * `ns-llm serve`: the whole node in one process. Wires what each part builds: the embedded IPFS
 * node (or Kubo), the audit log and its anchoring, the model store, the HTTP API, and the
 * governance follower that keeps the models equal to what the chain's ModelRegistry holds.
 *
 * Start-up order matters for "a restart serves the last applied models without the network": the
 * follower first restores what was applied (from the database and the store), then follows.
 */
import path from "node:path";
import type { Role } from "@ns-llm/contracts";
import { openAudit, auditRoutes, type Audit } from "./audit/index.ts";
import { loadDeployment, publicClientFor } from "./chain/index.ts";
import type { Config } from "./config.ts";
import { createApplier, demoGenesis, Follower, FollowerState, publishGenesis, type FollowerEvent } from "./governance/index.ts";
import { openModelStore } from "./inference/store/index.ts";
import { fetchManifest, ipfsSourceFetcher, manifestRoutes, openIpfs, type IpfsClient } from "./ipfs/index.ts";
import { parseManifest, type Manifest, type ManifestParameters } from "./manifest/index.ts";
import { startNode, type NodeHandle, type StartNodeOptions } from "./node.ts";
import type { GovernanceStatusProvider, GovernedParameters } from "./server/index.ts";

export type RunNodeOptions = {
  /** Serve the generated demo models until the chain says otherwise, and publish them to IPFS. */
  demo?: boolean;
  /** false = `--no-chain`. */
  chain?: boolean;
  log?: (line: string) => void;
  /** Passed through to startNode (tests set scheduler limits, grace periods). */
  node?: Partial<StartNodeOptions>;
};

export type RunningNode = {
  node: NodeHandle;
  ipfs: IpfsClient;
  audit: Audit;
  follower: Follower<Manifest> | undefined;
  close(): Promise<void>;
};

export async function runNode(config: Config, options: RunNodeOptions = {}): Promise<RunningNode> {
  const log = options.log ?? ((line: string) => console.error(`ns-llm: ${line}`));
  const chain = options.chain !== false;
  const ipfs = await openIpfs(config);
  const closers: Array<() => Promise<void>> = [() => ipfs.stop()];
  try {
    const audit = openAudit({ config, chain });
    closers.unshift(() => audit.close());
    const state = new FollowerState(path.join(config.home, "node.db"));
    closers.push(async () => state.close());
    const store = openModelStore(config.home);
    const parse = (bytes: Uint8Array) => parseManifest(bytes, { maxTotalBytes: config.maxModelBytes });

    // The governed parameters: the applied `parameters` manifest, until the chain adopts another.
    let governed: ManifestParameters = {};
    const applied = state.applied("parameters");
    if (applied) governed = (JSON.parse(applied.manifest) as { parameters?: ManifestParameters }).parameters ?? {};

    // Demo: the generated models, named by the genesis manifests' CIDs, and published to IPFS so
    // the follower (and any other node) can fetch them by those CIDs.
    let demo: Awaited<ReturnType<typeof demoGenesis>> | undefined;
    if (options.demo) {
      demo = await demoGenesis(path.join(config.home, "demo"));
      await publishGenesis(ipfs, demo);
      if (!applied) governed = demo.parameters.manifest.parameters ?? {};
    }
    const demoSpec = (role: "generation" | "embedding") => {
      if (!demo || state.applied(role)) return undefined;
      const entry = demo[role];
      const manifest = { cid: entry.cid, name: entry.name, version: undefined, digest: entry.digest };
      const [first, second] = entry.artifacts;
      return role === "generation"
        ? { generation: { modelPath: first!.file, name: entry.name, manifest } }
        : { embedding: { model: first!.file, tokenizer: second!.file, name: entry.name, manifest } };
    };

    let follower: Follower<Manifest> | undefined;
    const governance: GovernanceStatusProvider | undefined = chain
      ? {
          health: () => {
            const s = follower?.status();
            return {
              enabled: true,
              chainId: s?.chainId ?? 0,
              registry: s?.registry ?? "",
              syncedBlock: s?.syncedBlock ?? null,
              lag: s?.lag ?? null,
              lastError: s?.lastError ?? (followerError ? { message: followerError } : null),
            };
          },
          state: () => ({ enabled: true, ...(follower?.status() ?? {}), parameters: governed, ...(followerError ? { lastError: { code: "NO_DEPLOYMENT", message: followerError } } : {}) }),
        }
      : undefined;
    let followerError: string | undefined;

    const node = await startNode(config, {
      ...options.node,
      chain,
      ...demoSpec("generation"),
      ...demoSpec("embedding"),
      governance,
      audit: { append: (entry) => audit.log.append(entry), health: () => audit.status() },
      ipfs: () => ({ mode: ipfs.mode }),
      plugins: [
        auditRoutes(audit.log, { retryAfterSeconds: config.auditBatchSeconds }),
        manifestRoutes({ ipfs, validate: parse }),
        ...(options.node?.plugins ?? []),
      ],
      parameters: () => toGoverned(governed),
    });
    closers.unshift(() => node.close());

    if (chain) {
      try {
        const publicClient = publicClientFor(config.rpcUrl);
        const deployment = await loadDeployment(await publicClient.getChainId(), config.deploymentFile);
        follower = new Follower<Manifest>({
          publicClient,
          registry: deployment.contracts.ModelRegistry.address,
          startBlock: deployment.startBlock,
          state,
          fetchManifest: (cid, { signal }) => fetchManifest(ipfs, cid, { signal, timeoutMs: 30_000 }),
          parseManifest: parse,
          applier: createApplier({
            store,
            fetchers: { "ipfs:": ipfsSourceFetcher(ipfs) },
            loadGeneration: (spec, smokeTest) => node.loadGeneration(spec, { smokeTest }),
            loadEmbedding: (spec, smokeTest) => node.loadEmbedding(spec, { smokeTest }),
            setParameters: (parameters) => {
              governed = parameters;
            },
          }),
          onEvent: (event) => void audit.log.append(governanceEntry(event)).catch(() => {}),
          log,
        });
        closers.unshift(() => follower!.stop());
        await follower.start();
      } catch (error) {
        // No chain or no deployment: serve what we have, say why, keep going.
        followerError = `not following the chain: ${(error as Error).message}`;
        log(followerError);
      }
    }

    return {
      node,
      ipfs,
      audit,
      follower,
      async close() {
        for (const close of closers.splice(0)) await close().catch((error) => log(`shutdown: ${(error as Error).message}`));
      },
    };
  } catch (error) {
    for (const close of closers.splice(0)) await close().catch(() => {});
    throw error;
  }
}

function toGoverned(p: ManifestParameters): GovernedParameters {
  return {
    ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
    ...(p.topP !== undefined ? { topP: p.topP } : {}),
    ...(p.maxTokens !== undefined ? { maxTokens: p.maxTokens } : {}),
    ...(p.systemPrompt !== undefined ? { systemPrompt: p.systemPrompt } : {}),
  };
}

/** A follower step as an audit entry: `governance` with the step's name and details. */
function governanceEntry(event: FollowerEvent): { type: "governance"; step: string; role: Role; [key: string]: unknown } {
  const { type, ...rest } = event;
  return { type: "governance", step: type.replace(/^governance\./, ""), ...rest };
}
