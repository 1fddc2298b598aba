/**
 * `ns-llm serve`: the whole node in one process. Wires what each part builds: the embedded IPFS
 * node (or Kubo), the audit log and its anchoring, the model store, the HTTP API, and the
 * governance follower that keeps the models equal to what the chain's ModelRegistry holds.
 *
 * Start-up order matters for "a restart serves the last applied models without the network": the
 * follower first restores what was applied (from the database and the store), then follows.
 */
import path from "node:path";
import type { PublicClient } from "viem";
import type { Deployment, Role } from "@ns-llm/contracts";
import { openAudit, auditRoutes, registerAuditMetrics, type Audit } from "./audit/index.ts";
import { loadDeployment, publicClientFor } from "./chain/index.ts";
import type { Config } from "./config.ts";
import {
  createApplier,
  demoGenesis,
  Follower,
  FollowerState,
  publishGenesis,
  restoreApplied,
  type FollowerEvent,
  type GovernanceError,
  type GovernanceStatus,
  type RestoreAppliedReturnType,
} from "./governance/index.ts";
import { openModelStore } from "./inference/store/index.ts";
import { fetchManifest, ipfsAddRoute, ipfsSourceFetcher, manifestRoutes, openIpfs, type IpfsClient } from "./ipfs/index.ts";
import { parseManifest, type Manifest, type ManifestParameters } from "./manifest/index.ts";
import { startNode, type NodeHandle, type StartNodeOptions } from "./node.ts";
import type { GovernanceStatusProvider, GovernedParameters } from "./server/index.ts";

/** A node that cannot reach its chain (or deployment) tries again after 1 s, 2 s, 4 s... at most 30 s. */
const FOLLOW_RETRY = { baseMs: 1_000, maxMs: 30_000 };

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
  /** Undefined until the node reaches its chain (never with `chain: false`). */
  readonly follower: Follower<Manifest> | undefined;
  close(): Promise<void>;
};

export async function runNode(config: Config, options: RunNodeOptions = {}): Promise<RunningNode> {
  const log = options.log ?? ((line: string) => console.error(`ns-llm: ${line}`));
  const chain = options.chain !== false;
  const ipfs = await openIpfs(config);
  const closers: Array<() => Promise<void>> = [() => ipfs.stop()];
  try {
    // Anchors are counted on the node's metrics, which exist once the node starts (bound late).
    let onAnchored: () => void = () => {};
    const audit = openAudit({ config, chain, onEvent: (event) => event.type === "anchored" && onAnchored() });
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
    applyAuditSettings(audit, governed, config, log);
    const demoSpec = (role: "generation" | "embedding") => {
      if (!demo || state.applied(role)) return undefined;
      const entry = demo[role];
      const manifest = { cid: entry.cid, name: entry.name, version: undefined, digest: entry.digest };
      const [first, second] = entry.artifacts;
      return role === "generation"
        ? { generation: { modelPath: first!.file, name: entry.name, manifest } }
        : { embedding: { model: first!.file, tokenizer: second!.file, name: entry.name, manifest } };
    };

    // One applier for both restoring (offline, before the node listens) and following; the
    // loaders are the node's, handed over before it listens.
    let loaders: Pick<NodeHandle, "loadGeneration" | "loadEmbedding"> | undefined;
    const applier = createApplier({
      store,
      fetchers: { "ipfs:": ipfsSourceFetcher(ipfs) },
      loadGeneration: (spec, control) => loaders!.loadGeneration(spec, control),
      loadEmbedding: (spec, control) => loaders!.loadEmbedding(spec, control),
      setParameters: (parameters) => {
        governed = parameters;
        applyAuditSettings(audit, parameters, config, log);
      },
      log: (line) => log(`governance: ${line}`),
    });
    let restored: RestoreAppliedReturnType = { restored: [], failed: [] };
    let restoredAt = new Date().toISOString();

    let follower: Follower<Manifest> | undefined;
    /** Why the node does not follow its chain (yet): the RPC does not answer, or there is no deployment for it. */
    let followerError: FollowError | undefined;
    // Until the follower runs (it takes them over), the roles that could not be restored.
    const restoreErrors = (): GovernanceStatus["errors"] => {
      const errors: GovernanceStatus["errors"] = {};
      for (const { adoption, error } of restored.failed) {
        errors[adoption.role] = { ...adoption, code: error.code, message: `could not restore ${adoption.role}: ${error.message}`, time: restoredAt, retrying: false };
      }
      return errors;
    };
    const notFollowing = () => {
      const errors = restoreErrors();
      const lastError: GovernanceError | FollowError | null = followerError ?? Object.values(errors).at(-1) ?? null;
      return { lastError, errors };
    };
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
              // The follower's own report once it runs (it took over any restore failure).
              ...(s ? { lastError: s.chainError ?? s.lastError, errors: s.errors } : notFollowing()),
            };
          },
          state: () => ({
            enabled: true,
            ...(follower?.status() ?? {}),
            parameters: governed,
            ...(follower ? {} : notFollowing()),
          }),
        }
      : undefined;

    const node = await startNode(config, {
      ...options.node,
      chain,
      ...demoSpec("generation"),
      ...demoSpec("embedding"),
      // What was applied before serves from the first answer on: restored before the node listens,
      // from the database and the store alone, whether or not the chain answers.
      beforeListen: async (l) => {
        loaders = l;
        restored = await restoreApplied({ state, parseManifest: parse, applier, log });
        restoredAt = new Date().toISOString();
      },
      governance,
      audit: { append: (entry) => audit.log.append(entry), health: () => audit.status() },
      ipfs: () => ({ mode: ipfs.mode }),
      plugins: [
        auditRoutes(audit.log, { retryAfterSeconds: config.auditBatchSeconds }),
        manifestRoutes({ ipfs, validate: parse }),
        ipfsAddRoute({ ipfs, maxBytes: config.maxModelBytes }),
        ...(options.node?.plugins ?? []),
      ],
      parameters: () => toGoverned(governed),
    });
    onAnchored = () => node.metrics.anchors.inc();
    registerAuditMetrics(node.metrics.registry, () => audit.status());
    closers.unshift(() => node.close());

    // Follow the chain; when it (or its deployment) is not there yet, say why and try again, so a
    // node started before its chain follows it once it answers.
    let retry: NodeJS.Timeout | undefined;
    let tries = 0;
    let closing = false;
    const follow = async (): Promise<void> => {
      try {
        const publicClient = publicClientFor(config.rpcUrl);
        const deployment = await chainDeployment(publicClient, config);
        const f = new Follower<Manifest>({
          publicClient,
          registry: deployment.contracts.ModelRegistry.address,
          startBlock: deployment.startBlock,
          state,
          fetchManifest: (cid, { signal }) => fetchManifest(ipfs, cid, { signal, timeoutMs: 30_000 }),
          parseManifest: parse,
          applier,
          onEvent: (event) => {
            if (event.type === "governance.refused") node.metrics.governanceRefusals.inc({ role: event.role, code: event.code });
            void audit.log.append(governanceEntry(event)).catch(() => {});
          },
          log,
        });
        if (closing) return;
        follower = f;
        followerError = undefined;
        await f.start({ restored });
      } catch (error) {
        // No chain or no deployment: serve what we have, say why, keep going.
        const code = error instanceof FollowError ? error.code : "CHAIN_UNREACHABLE";
        followerError = new FollowError(code, `not following the chain: ${(error as Error).message}`);
        const delay = Math.min(FOLLOW_RETRY.maxMs, FOLLOW_RETRY.baseMs * 2 ** tries++);
        log(`${followerError.message} (trying again in ${delay / 1000} s)`);
        if (!closing) retry = setTimeout(() => void follow(), delay);
      }
    };
    if (chain) {
      closers.unshift(async () => {
        closing = true;
        clearTimeout(retry);
        await follower?.stop();
      });
      await follow();
    }

    return {
      node,
      ipfs,
      audit,
      get follower() {
        return follower;
      },
      async close() {
        for (const close of closers.splice(0)) await close().catch((error) => log(`shutdown: ${(error as Error).message}`));
      },
    };
  } catch (error) {
    for (const close of closers.splice(0)) await close().catch(() => {});
    throw error;
  }
}

/** Why the node does not follow its chain: CHAIN_UNREACHABLE (the RPC does not answer) or NO_DEPLOYMENT. */
class FollowError extends Error {
  readonly code: "CHAIN_UNREACHABLE" | "NO_DEPLOYMENT";
  constructor(code: FollowError["code"], message: string) {
    super(message);
    this.name = "FollowError";
    this.code = code;
  }
  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

/**
 * The deployment for the chain at `config.rpcUrl`, checked against the chain: its file must exist
 * for the chain's id and its ModelRegistry must have code there (a file from another chain, or
 * from an earlier run of a dev chain, names an empty address).
 */
async function chainDeployment(publicClient: PublicClient, config: Config): Promise<Deployment> {
  const unreachable = (error: unknown) => new FollowError("CHAIN_UNREACHABLE", `the chain at ${config.rpcUrl} does not answer: ${firstLine(error)}`);
  let chainId: number;
  try {
    chainId = await publicClient.getChainId();
  } catch (error) {
    throw unreachable(error);
  }
  let deployment: Deployment;
  try {
    deployment = await loadDeployment(chainId, config.deploymentFile);
  } catch (error) {
    const hint = (error as { hint?: string }).hint;
    throw new FollowError("NO_DEPLOYMENT", `${firstLine(error)}${hint ? ` (${hint})` : ""}`);
  }
  const registry = deployment.contracts.ModelRegistry.address;
  let code: string | undefined;
  try {
    code = await publicClient.getCode({ address: registry });
  } catch (error) {
    throw unreachable(error);
  }
  if (!code || code === "0x") {
    throw new FollowError("NO_DEPLOYMENT", `chain ${chainId} has no ModelRegistry at ${registry}: the deployment is from another chain or an earlier run (deploy again, or set NS_LLM_DEPLOYMENT)`);
  }
  return deployment;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}

function toGoverned(p: ManifestParameters): GovernedParameters {
  return {
    ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
    ...(p.topP !== undefined ? { topP: p.topP } : {}),
    ...(p.maxTokens !== undefined ? { maxTokens: p.maxTokens } : {}),
    ...(p.systemPrompt !== undefined ? { systemPrompt: p.systemPrompt } : {}),
    ...(p.validation?.denyPatterns?.length ? { denyPatterns: p.validation.denyPatterns } : {}),
  };
}

/** A follower step as an audit entry: `governance` with the step's name and details. */
function governanceEntry(event: FollowerEvent): { type: "governance"; step: string; role: Role; [key: string]: unknown } {
  const { type, ...rest } = event;
  return { type: "governance", step: type.replace(/^governance\./, ""), ...rest };
}

/**
 * A parameters manifest may govern when audit batches close. NS_LLM_AUDIT_BATCH_SIZE/SECONDS set
 * by the operator win (a local override); otherwise the governed values replace the defaults.
 */
function applyAuditSettings(audit: Audit, parameters: ManifestParameters, config: Config, log: (line: string) => void): void {
  const batchSize = config.auditBatchPinned.size ? undefined : parameters.audit?.batchSize;
  const batchSeconds = config.auditBatchPinned.seconds ? undefined : parameters.audit?.batchSeconds;
  if (batchSize === undefined && batchSeconds === undefined) return;
  try {
    audit.anchorer.configure({ batchSize, batchIntervalMs: batchSeconds === undefined ? undefined : batchSeconds * 1000 });
  } catch (error) {
    log(`audit batch settings not applied: ${(error as Error).message}`);
  }
}
