/**
 * The composition root: the only place that constructs the node's parts, in dependency order,
 * and the only place that knows all of them. Everything else receives what it uses.
 *
 *   IPFS -> models, scheduler, metrics -> audit log -> governed state -> services, search
 *        -> follower state, store, applier -> restore what was applied -> federation (libp2p,
 *        when configured) -> HTTP API, listen -> follow the chain
 *
 * Start-up order matters for "a restart serves the last applied models without the network":
 * what was applied before is restored from the database and the store before the node listens,
 * then the node follows its chain (and retries until the chain answers).
 */
import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { FederationStatus, HealthReport } from "@ns-llm/contracts";
import { openAudit, registerAuditMetrics, type Audit } from "../audit/index.ts";
import type { Config } from "../config.ts";
import { demoGenesis, publishGenesis, type DemoGenesis } from "../demo/index.ts";
import { createAdoptionReporter, createDryRuns, suiteOf, type DryRunReportEvent, type EvaluationSuite } from "../dry-run/index.ts";
import type { Federation } from "../federation/index.ts";
import { DEV_CHAIN_ID, publicClientFor } from "../chain/index.ts";
import {
  APPLY_ORDER,
  createApplier,
  createChainFollowing,
  createStorageUpkeep,
  FollowerState,
  restoreApplied,
  type Applier,
  type ChainFollowing,
  type FollowerEvent,
  type StorageUpkeep,
} from "../governance/index.ts";
import { createModels, type EmbeddingModelSpec, type GenerationModelSpec, type Models } from "../inference/index.ts";
import { createHttpFetcher, formatSize, openModelStore } from "../inference/store/index.ts";
import { fetchManifest, ipfsSourceFetcher, openIpfs, type IpfsClient } from "../ipfs/index.ts";
import { createSourcePolicy, parseManifest, type Manifest, type ManifestParameters } from "../manifest/index.ts";
import { createMetrics, type NodeMetrics } from "../metrics.ts";
import {
  createReleaseUpdater,
  currentPlatform,
  looksLikeSignedRelease,
  packagedInstall,
  parseGovernedRelease,
  releasePin,
  trustedReleaseKey,
  type GovernedRelease,
  type ReleaseUpdater,
} from "../release/index.ts";
import { createSearchIndex, loadDocuments, type SearchIndex } from "../search/index.ts";
import {
  auditRoutes,
  createServer,
  dryRunRoutes,
  federationRoutes,
  ipfsAddRoute,
  isLoopbackHost,
  listen,
  manifestRoutes,
  nativeRoutes,
  ollamaRoutes,
  openAiRoutes,
  pageProxy,
  pluginRoutes,
  systemRoutes,
  type HttpLimits,
  type ServerPlugin,
} from "../server/index.ts";
import {
  createAnswerRecorder,
  createEmbeddingBatcher,
  createEmbeddingService,
  createVisionService,
  createGenerationService,
  createModelDetails,
  createNodeStatus,
  createScheduler,
  followGpuLayerCap,
  generationBatching,
  modelDevices,
  GovernedState,
  type EmbeddingBatcher,
  type Scheduler,
  type SchedulerLimits,
} from "../serving/index.ts";
import { createValidation } from "../validation/index.ts";
import { createPlugins, missingReasons, type Plugins } from "../plugins/index.ts";
import { createDappHost, dappDir, type DappHost } from "../dapp/index.ts";
import { createCanaryWiring } from "./canary-wiring.ts";
import { announcer, FEDERATION_OFF, federationManifestsOf, openFederation } from "./federation-wiring.ts";
import { withAnsweredHooks, withPromptHooks, withSearchHooks } from "./plugin-wiring.ts";
import { shutdown } from "./shutdown.ts";

/** The node package's version (GET /api/version); "unknown" when its package.json is not beside the code. */
const NODE_VERSION = (() => {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
})();

export type StartNodeOptions = {
  /** Serve the generated demo models until the chain says otherwise (published to IPFS, named by CID). */
  demo?: boolean;
  /** false = `--no-chain`: no follower, no anchoring; /health says governance is disabled. */
  chain?: boolean;
  /** Models to load at start besides, or instead of, the demo ones (benchmarks, tests). */
  generation?: GenerationModelSpec;
  embedding?: EmbeddingModelSpec;
  /** The governed parameters at start when none were applied before; default: the demo genesis's with `demo`, else none. */
  parameters?: ManifestParameters;
  /** HTTP limits other than the defaults (tests). */
  httpLimits?: Partial<HttpLimits>;
  /** Extra route groups (tests). */
  routes?: ServerPlugin[];
  scheduler?: Partial<SchedulerLimits>;
  /** Micro-batching window of embedding requests (ms); default 0 = requests of the same event-loop turn, and those that arrive while a batch runs. */
  embedBatchWindowMs?: number;
  /** Sequences of the generation context (generations at once). Default 4. */
  sequences?: number;
  contextSize?: number;
  /** Free memory needed = model files x this. Default 1.5. */
  memoryFactor?: number;
  /** Files and folders of the search corpus; default the README, docs and manifests. */
  corpus?: string[];
  /** How long close() lets running generations finish before cancelling them (ms). Default 5000. */
  shutdownGraceMs?: number;
  logger?: boolean | { level: string };
  log?: (line: string) => void;
  /** Benchmarks only: false leaves answers out of the audit log, to measure what recording costs. Default true. */
  recordAnswers?: boolean;
};

export type RunningNode = {
  url: string;
  /** What GET /health answers. */
  health(): HealthReport;
  models: Models;
  scheduler: Scheduler;
  embedder: EmbeddingBatcher;
  search: SearchIndex;
  metrics: NodeMetrics;
  governed: GovernedState;
  audit: Audit;
  ipfs: IpfsClient;
  /** Absent with `chain: false`. */
  following: ChainFollowing<Governed> | undefined;
  /** The federated cache over libp2p; absent unless NS_LLM_FEDERATION_LISTEN or _BOOTSTRAP is set. */
  federation: Federation | undefined;
  /** Governed updates of the node itself; present when it was started from a package. */
  releases: ReleaseUpdater | undefined;
  /** Garbage collection of the model store and the IPFS repo. */
  storage: StorageUpkeep;
  /** The contributor plugins (NS_LLM_PLUGINS). */
  plugins: Plugins;
  /** The dApp served on the node's port; absent with NS_LLM_DAPP=0 or no build to serve. */
  dapp: DappHost | undefined;
  close(): Promise<void>;
};

export async function startNode(config: Config, options: StartNodeOptions = {}): Promise<RunningNode> {
  const log = options.log ?? ((line: string) => console.error(`ns-llm: ${line}`));
  const chain = options.chain !== false;
  const closers: Array<() => Promise<void> | void> = [];
  const closeAll = async (onError: (error: unknown) => void) => {
    for (const close of closers.splice(0).reverse()) await Promise.resolve().then(close).catch(onError);
  };
  try {
    const ipfs = await openIpfs(config);
    closers.push(() => ipfs.stop());

    // Inference and admission: the model slots, the generation queue, the metrics of both.
    const models = createModels({
      threads: config.threads,
      ...(options.sequences !== undefined ? { sequences: options.sequences } : {}),
      // The option (tests, benchmarks) over NS_LLM_CONTEXT_SIZE over the model's own.
      ...((options.contextSize ?? config.contextSize) !== undefined ? { contextSize: options.contextSize ?? config.contextSize } : {}),
      ...(options.memoryFactor !== undefined ? { memoryFactor: options.memoryFactor } : {}),
      // Every load of a generation model (start, restore, adoption, canary) runs under the cap in force.
      gpuLayerCap: () => governed.gpuLayerCap(),
    });
    closers.push(() => models.close());
    const { generation, embedding } = models.slots;
    const capacity = () => {
      const lease = generation.acquire();
      lease?.release();
      return lease?.engine.capacity ?? 1;
    };

    // Governed state: what was applied before, else (demo) the genesis parameters, else none. Its
    // limits (capped by the operator's NS_LLM_MAX_* ceilings) drive admission from the next request on.
    const state = new FollowerState(path.join(config.home, "node.db"));
    closers.push(() => state.close());
    const demo = options.demo ? await demoGenesis(path.join(config.home, "demo")) : undefined;
    if (demo) await publishGenesis(ipfs, demo);
    const given = options.scheduler ?? {};
    const governed = new GovernedState(initialParameters(state, options.parameters ?? demo?.parameters.manifest.parameters), undefined, {
      ceilings: config.ceilings,
      defaults: {
        ...(given.maxConcurrent !== undefined ? { maxConcurrent: given.maxConcurrent } : {}),
        ...(given.maxQueue !== undefined ? { maxQueue: given.maxQueue } : {}),
        ...(given.timeoutMs !== undefined ? { requestTimeoutMs: given.timeoutMs } : {}),
        ...(given.maxPromptTokens !== undefined ? { maxPromptTokens: given.maxPromptTokens } : {}),
        ...(given.maxOutputTokens !== undefined ? { maxOutputTokens: given.maxOutputTokens } : {}),
      },
      capacity,
    });
    const scheduler = createScheduler({
      limits: () => {
        const l = governed.limits();
        return { maxConcurrent: l.maxConcurrent, maxQueue: l.maxQueue, timeoutMs: l.requestTimeoutMs, maxPromptTokens: l.maxPromptTokens, maxOutputTokens: l.maxOutputTokens };
      },
      capacity,
    });
    const metrics = createMetrics({ queueDepth: () => scheduler.stats().queued, modelDevices: () => modelDevices(models), generationBatching: () => generationBatching(models) });
    models.onSwap((role) => {
      metrics.swaps.inc({ role });
      if (role === "generation") scheduler.pump();
    });
    // A vote that raises concurrency starts waiting requests at once.
    governed.onChange(() => scheduler.pump());
    // A vote that changes the GPU layer cap reloads the generation model where that moves layers
    // (never on a CPU-only node: nothing is offloaded there whatever the cap).
    const gpuCap = followGpuLayerCap({ models, cap: () => governed.gpuLayerCap(), onChange: (listener) => governed.onChange(listener), log });
    closers.push(() => gpuCap.stop());

    const audit = openAudit({ config, chain, onEvent: (event) => event.type === "anchored" && metrics.anchors.inc() });
    closers.push(() => audit.close());
    registerAuditMetrics(metrics.registry, () => audit.status());

    const applyAuditBatch = () => {
      const settings = governed.auditBatch(config.auditBatchPinned);
      if (!settings) return;
      try {
        audit.anchorer.configure(settings);
      } catch (error) {
        log(`audit batch settings not applied: ${(error as Error).message}`);
      }
    };
    applyAuditBatch();
    governed.onChange(applyAuditBatch);

    // Contributor plugins (NS_LLM_PLUGINS), each in a worker of its own; the governed parameters say which may run.
    const plugins = await createPlugins({
      specs: config.plugins.specs,
      from: process.cwd(),
      budget: { callMs: config.plugins.callMs, memoryMb: config.plugins.memoryMb },
      governed: () => governed.plugins(),
      registry: metrics.registry,
      log: (line) => log(line),
    });
    closers.push(() => plugins.close());
    const hooked = config.plugins.specs.length > 0;

    // Serving: every answer recorded in the audit log before it is sent.
    const unhookedRecorder = createAnswerRecorder({
      audit: options.recordAnswers === false ? undefined : audit.log,
      recordText: config.auditRecordText,
      onError: (error) => {
        metrics.auditErrors.inc();
        log(`audit append failed: ${(error as Error).message}`);
      },
    });
    const recorder = hooked ? withAnsweredHooks(unhookedRecorder, plugins) : unhookedRecorder;
    const embedder = createEmbeddingBatcher({
      acquire: () => embedding.acquire(),
      ...(options.embedBatchWindowMs !== undefined ? { windowMs: options.embedBatchWindowMs } : {}),
      limits: () => {
        const l = governed.limits();
        return { maxBatch: l.maxEmbedBatch, maxQueue: l.maxQueue, timeoutMs: l.requestTimeoutMs };
      },
      onBatch: (n) => metrics.embeddingBatchSize.observe(n),
    });
    const localSearch = createSearchIndex(await loadDocuments(options.corpus), {
      embed: async (texts) => (await embedder.embed(texts)).vectors,
      embedModel: () => {
        const m = embedding.manifest;
        return m ? `${m.name}@${m.cid ?? ""}` : undefined;
      },
    });
    // Search plugins' passages join the local corpus's (the fallback answer cites them).
    const search = hooked ? withSearchHooks(localSearch, plugins, () => governed.generation().denyPatterns) : localSearch;
    // Validation: thresholds and rules from the governed parameters, coherence under the governed embedding model.
    const validation = createValidation({
      parameters: () => governed.parameters,
      embed: async (texts) => {
        const lease = embedding.acquire();
        if (!lease) return undefined;
        try {
          return await lease.engine.embed(texts);
        } finally {
          lease.release();
        }
      },
      registry: metrics.registry,
      refusals: metrics.validationRefusals,
      ...(hooked ? { plugins } : {}),
    });
    closers.push(() => validation.close());
    // The federated cache (created once the node's status can say what it serves with): answers
    // the node computed are announced to peers running the same manifests.
    let federation: Federation | undefined;
    const announce = announcer(() => federation, () => federationManifests(), log);
    // Canary swaps of adopted generation models (issue 16): audited, counted, reported on chain.
    const reporter = chain ? createAdoptionReporter({ ...config, ipfs, software: `ns-llm/${NODE_VERSION}` }) : undefined;
    const { canary, trial: canaryTrial } = createCanaryWiring({ registry: metrics.registry, audit: audit.log, reporter, governed, generation, log });
    const unhookedGeneration = createGenerationService({ slot: generation, scheduler, search, metrics, governed, recorder, validation, canary, onAnswer: announce });
    const generationService = hooked ? withPromptHooks(unhookedGeneration, plugins) : unhookedGeneration;
    const embeddingService = createEmbeddingService({ slot: embedding, embedder, metrics, recorder, maxInputChars: () => governed.limits().maxInputChars });
    // The vision role: images embedded in the space of the text model it pairs with.
    const vision = createVisionService({
      metrics,
      recorder,
      embedding: () => {
        const lease = embedding.acquire();
        lease?.release();
        return lease ? { name: lease.manifest.name, dimensions: lease.engine.info.dimensions } : undefined;
      },
    });
    closers.push(() => vision.close());

    // Governance: one applier for restoring (offline, before the node listens) and following.
    // Sources are held to the source policy (public addresses only, unless the operator allows
    // more; loopback once the node knows it follows the dev chain) at validation and when fetched.
    let devChain = false;
    const sourcePolicy = createSourcePolicy({
      ...(config.allowPrivateSources ? { allowPrivate: config.allowPrivateSources } : {}),
      allowHttp: config.allowHttpSources,
      devChain: () => devChain,
    });
    const store = openModelStore(config.home, {
      sourcePolicy,
      limits: { maxStoreBytes: config.maxStoreBytes, minFreeBytes: config.minFreeBytes },
    });
    const parse = (bytes: Uint8Array) => parseManifest(bytes, { maxTotalBytes: config.maxModelBytes, sourcePolicy });
    // What this node applied before was valid then: restoring it does not depend on today's policy.
    const parseApplied = (bytes: Uint8Array) => parseManifest(bytes, { maxTotalBytes: config.maxModelBytes, requireSources: false });
    // The governed evaluation suite (role `evaluation`): what the next dry-run asks proposed models.
    let evaluationSuite: EvaluationSuite | undefined;
    const modelApplier = createApplier({
      store,
      fetchers: { "ipfs:": ipfsSourceFetcher(ipfs) },
      loadGeneration: (spec, control) => models.loadGeneration(spec, { ...control, ...canaryTrial(spec.manifest, control) }),
      loadEmbedding: models.loadEmbedding,
      loadModeration: validation.loadModeration,
      loadVision: vision.load,
      setParameters: (parameters, manifest) => governed.apply(parameters, manifest),
      setEvaluation: (manifest, loaded) => {
        evaluationSuite = suiteOf(manifest, loaded.cid ?? manifest.name);
      },
      log: (line) => log(`governance: ${line}`),
    });

    // Governed updates (role `release`): only a node started from a package has versions to
    // update; from a git clone the role is not followed, as before. The adopted document is the
    // signed release file itself, told apart from a model manifest by its schema name.
    const install = packagedInstall();
    const releases = install
      ? createReleaseUpdater({
          install,
          platform: currentPlatform(),
          trustedKeys: async () => [await trustedReleaseKey()],
          fetchers: { "ipfs:": ipfsSourceFetcher(ipfs), "https:": createHttpFetcher({ policy: sourcePolicy }), "http:": createHttpFetcher({ policy: sourcePolicy }) },
          pin: releasePin(),
          // The supervisor (packaging/launcher) starts the new version at once when told.
          notify: process.env.NS_LLM_SUPERVISED === "1" && process.send ? (message) => void process.send!(message) : undefined,
          log,
        })
      : undefined;
    if (releases) {
      await releases.refresh();
      releases.registerMetrics(metrics.registry);
      if (process.env.NS_LLM_SUPERVISED === "1" && process.send) {
        const onMessage = (message: unknown) => {
          const m = message as { type?: string; version?: string; reason?: string };
          if (m?.type !== "ns-llm.release.failed" || !m.version) return;
          void releases.failedUnderSupervisor(m.version, m.reason ?? "");
          metrics.governanceRefusals.inc({ role: "release", code: "health_check_failed" });
          void audit.log.append({ type: "governance", step: "release-rolled-back", role: "release", error: `version ${m.version} did not become healthy: ${m.reason ?? ""}` }).catch(() => {});
        };
        process.on("message", onMessage);
        // The supervisor is gone (killed hard): stop as if told to, rather than run unreachable.
        process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
        // The IPC channel alone must not keep a stopped node alive.
        process.channel?.unref();
        closers.push(() => void process.off("message", onMessage));
      }
    }
    const roles = releases ? [...APPLY_ORDER, "release" as const] : undefined;
    const parseGoverned = (bytes: Uint8Array): Governed => (releases && looksLikeSignedRelease(bytes) ? parseGovernedRelease(bytes) : parse(bytes));
    const parseAppliedGoverned = (bytes: Uint8Array): Governed => (releases && looksLikeSignedRelease(bytes) ? parseGovernedRelease(bytes) : parseApplied(bytes));
    const applier: Applier<Governed> = {
      apply: (role, manifest, adoption, options) => (manifest.role === "release" ? releases!.apply(manifest, adoption, options) : modelApplier.apply(role, manifest, adoption, options)),
    };

    // Models first, so the node answers with them as soon as it says it listens: the ones given,
    // else the demo's (until an adoption is applied), then what was applied before, restored from
    // the database and the store alone. A model that fails to load leaves its role empty: the node
    // serves degraded (search) and /health says why.
    // Meanwhile, ask the chain its id (2 s at most): on the dev chain, manifests published before
    // the follower first reads the chain may name loopback mirrors already.
    await Promise.all([
      loadAtStart(options.generation ?? demoSpec(demo, state, "generation"), models.loadGeneration),
      loadAtStart(options.embedding ?? demoSpec(demo, state, "embedding"), models.loadEmbedding),
      chain && !config.allowPrivateSources
        ? probeChainId(config.rpcUrl).then((id) => {
            if (id !== undefined) devChain = id === DEV_CHAIN_ID;
          })
        : undefined,
    ]);
    // A release has nothing to restore: what was staged and switched is on disk (and an
    // operator's rollback since then stands until the network adopts another release).
    const restored = await restoreApplied({ state, parseManifest: parseAppliedGoverned, applier, log });

    const following = chain
      ? createChainFollowing<Governed>({
          rpcUrl: config.rpcUrl,
          deploymentFile: config.deploymentFile,
          state,
          applier,
          ...(roles ? { roles } : {}),
          parseManifest: parseGoverned,
          fetchManifest: (cid, { signal }) => fetchManifest(ipfs, cid, { signal, timeoutMs: 30_000 }),
          restored,
          parameters: () => governed.parameters,
          ...(config.confirmations !== undefined ? { confirmations: config.confirmations } : {}),
          onChain: (chainId) => {
            devChain = chainId === DEV_CHAIN_ID;
          },
          onEvent: (event) => {
            if (event.type === "governance.refused") metrics.governanceRefusals.inc({ role: event.role, code: event.code });
            void audit.log.append(governanceEntry(event)).catch(() => {});
            if (hooked) plugins.governance(governanceEntry(event));
          },
          log,
        })
      : undefined;
    if (following) closers.push(() => following.stop());
    // Proposal dry-runs (opt-in): a sandbox process per proposal, reports on IPFS and chain.
    const dryRuns = chain && config.dryRun.enabled ? createDryRuns({ ...config, ...config.dryRun, suite: () => evaluationSuite, ipfs, store, fetchers: { "ipfs:": ipfsSourceFetcher(ipfs) }, fetchManifest: (cid, { signal }) => fetchManifest(ipfs, cid, { signal, timeoutMs: 30_000 }), parseManifest: parse, gpuLayerCap: () => governed.gpuLayerCap(), software: "ns-llm/0.1.0", log, missingPlugins: (required) => missingReasons({ missing: plugins.lacking(required) }), ...(hooked ? { onReport: (event: DryRunReportEvent) => plugins.governance(event) } : {}) }) : undefined;
    if (dryRuns) closers.push(() => dryRuns.stop());

    // Storage: garbage collection (a sweep, and `ns-llm gc`) and its figures in /metrics.
    const storage = createStorageUpkeep({
      store,
      ipfs,
      state,
      pending: () => following?.pending() ?? [],
      extraRoots: () => (demo ? demoRoots(demo) : []),
      ipfsQuota: config.maxIpfsBytes,
      ipfsGraceMs: config.ipfsGcGraceSeconds * 1000,
      log,
    });
    storage.registerMetrics(metrics.registry);
    storage.start(config.gcIntervalSeconds * 1000);
    closers.push(() => storage.stop());
    const uploadRoom = async (): Promise<{ bytes: number; why: string }> => {
      const used = ipfs.repoBytes ? await ipfs.repoBytes() : 0;
      const quota = ipfs.repoBytes ? config.maxIpfsBytes - used : Number.POSITIVE_INFINITY;
      try {
        // The disk: what the embedded repo's folder may still take, keeping NS_LLM_MIN_FREE_BYTES free.
        const stat = await fs.statfs(ipfs.mode === "embedded" ? ipfs.location : config.home);
        const disk = stat.bavail * stat.bsize - config.minFreeBytes;
        if (disk < quota) return { bytes: Math.max(0, disk), why: `the disk has ${formatSize(Math.max(0, disk))} to spare (NS_LLM_MIN_FREE_BYTES)` };
      } catch {
        // no statfs here: the quota alone
      }
      return { bytes: Math.max(0, quota), why: `the IPFS repo holds ${formatSize(used)} of its ${formatSize(config.maxIpfsBytes)} quota (NS_LLM_MAX_IPFS_BYTES)` };
    };

    const status = createNodeStatus(models, scheduler, {
      ...(following ? { governance: following } : {}),
      governanceDisabledReason: "disabled (--no-chain)",
      parameters: () => governed.parameters,
      ipfs: () => ({ mode: ipfs.mode }),
      audit: () => audit.status(),
      auditFailing: recorder.failing,
      effective: () => governed.limits(),
      gpuLayerCap: () => governed.gpuLayerCap(),
      searchDocuments: () => search.size,
    });
    const health = (): HealthReport => {
      const last = canary.status();
      const base = { ...status.health(), validation: validation.health(), vision: vision.health(), ...(last ? { canary: { generation: last } } : {}), ...(releases ? { release: releases.health() } : {}) };
      if (!hooked && !governed.plugins().required?.length) return base;
      // A required plugin this node does not run makes it "degraded" (it cannot validate as the network voted).
      const report = plugins.report();
      const missing = missingReasons(report);
      return { ...base, ...(missing.length ? { status: "degraded" as const, reasons: [...base.reasons, ...missing] } : {}), plugins: report };
    };
    const federationManifests = federationManifestsOf(status, governed);
    federation = await openFederation({ config, chain, manifests: federationManifests, registry: metrics.registry, ipfs, log });
    if (federation) {
      const running = federation;
      closers.push(() => running.stop());
    }
    const federationStatus = (): FederationStatus => federation?.status() ?? FEDERATION_OFF;
    // The dApp on the node's own port (NS_LLM_DAPP_DIR, else a package's app/web): its server is
    // started on the first page request, as a loopback-only child, and stopped after the API.
    let selfUrl: string | undefined;
    const dappFolder = dappDir(config);
    const dapp = dappFolder
      ? createDappHost({
          dir: dappFolder,
          log,
          env: () => ({
            NS_LLM_NODE_URL: selfUrl,
            // Pages call the node that served them, on whatever address a person used.
            NS_LLM_DAPP_SAME_ORIGIN: "1",
            NS_LLM_RPC_URL: config.rpcUrl,
            NS_LLM_DEPLOYMENT: config.deploymentFile,
            NS_LLM_API_TOKEN: config.apiToken,
            NS_LLM_GATEWAY_URL: process.env.NS_LLM_GATEWAY_URL,
            ...(chain ? {} : { NS_LLM_CHAIN: "off" }),
            // A packaged node reads its settings from this file (packaging/launcher/launch.ts).
            ...(install ? { NS_LLM_CONFIG_FILE: path.join(config.home, "config.env") } : {}),
          }),
        })
      : undefined;
    if (dapp) closers.push(() => dapp.close());
    const app = await createServer({
      metrics,
      ...(dapp ? { pages: pageProxy(() => dapp.target()) } : {}),
      auth: { token: config.apiToken, scope: isLoopbackHost(config.host) ? "admin" : "all" },
      corsOrigins: config.corsOrigins,
      allowedHosts: config.allowedHosts,
      ...(options.httpLimits ? { limits: options.httpLimits } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      routes: [
        {
          plugin: systemRoutes,
          options: { health, governance: status.governance, metrics },
        },
        { plugin: nativeRoutes, options: { generation: generationService, embedding: embeddingService, vision } },
        { plugin: openAiRoutes, options: { generation: generationService, embedding: embeddingService, vision, models: status.models } },
        { plugin: ollamaRoutes, options: { generation: generationService, embedding: embeddingService, models: createModelDetails(models), version: NODE_VERSION } },
        { plugin: auditRoutes, options: { log: audit.log, retryAfterSeconds: config.auditBatchSeconds } },
        { plugin: manifestRoutes, options: { ipfs, validate: parse } },
        { plugin: dryRunRoutes, options: { status: () => dryRuns?.status() ?? { enabled: false, reason: "off (set NS_LLM_DRY_RUN=1)", proposals: [] } } },
        { plugin: federationRoutes, options: { status: federationStatus, ...(federation ? { lookup: federation.lookup } : {}) } },
        { plugin: pluginRoutes, options: { report: () => plugins.report() } },
        { plugin: ipfsAddRoute, options: { ipfs, maxBytes: config.maxModelBytes, room: uploadRoom } },
        ...(options.routes ?? []),
      ],
    });
    closers.push(() => shutdown({ app, scheduler, graceMs: options.shutdownGraceMs ?? 5000 }));
    const url = await listen(app, { host: config.host, port: config.port, token: config.apiToken });
    selfUrl = url;
    if (dapp) log(`serving the dApp from ${dapp.dir} on ${url}/ (its server starts on the first page request)`);

    await following?.start();
    dryRuns?.start();

    return {
      url,
      health,
      models,
      scheduler,
      embedder,
      search,
      metrics,
      governed,
      audit,
      ipfs,
      following,
      federation,
      releases,
      storage,
      plugins,
      dapp,
      close: () => closeAll((error) => log(`shutdown: ${(error as Error).message}`)),
    };
  } catch (error) {
    await closeAll(() => {});
    throw error;
  }
}

/** What the follower applies: a manifest, or (role `release`) a signed release of the node itself. */
type Governed = Manifest | GovernedRelease;

/** The parameters in force at start: the applied `parameters` manifest, else `fallback`. */
function initialParameters(state: FollowerState, fallback: ManifestParameters | undefined): ManifestParameters {
  const applied = state.applied("parameters");
  if (applied) return (JSON.parse(applied.manifest) as { parameters?: ManifestParameters }).parameters ?? {};
  return fallback ?? {};
}

/** The demo model of `role`, named by its genesis manifest, unless an adoption was applied for it. */
function demoSpec(demo: DemoGenesis | undefined, state: FollowerState, role: "generation"): GenerationModelSpec | undefined;
function demoSpec(demo: DemoGenesis | undefined, state: FollowerState, role: "embedding"): EmbeddingModelSpec | undefined;
function demoSpec(demo: DemoGenesis | undefined, state: FollowerState, role: "generation" | "embedding"): GenerationModelSpec | EmbeddingModelSpec | undefined {
  if (!demo || state.applied(role)) return undefined;
  const entry = demo[role];
  const manifest = { cid: entry.cid, name: entry.name, version: undefined, digest: entry.digest };
  const [first, second] = entry.artifacts;
  return role === "generation"
    ? { modelPath: first!.file, name: entry.name, manifest }
    : { model: first!.file, tokenizer: second!.file, name: entry.name, manifest };
}

/** Loads a start-up model; a failure is reported by /health (the role's load error), not thrown. */
async function loadAtStart<S>(spec: S | undefined, load: (spec: S) => Promise<void>): Promise<void> {
  if (spec) await load(spec).catch(() => {});
}

/** The chain's id, or undefined when it does not answer within `timeoutMs`. */
async function probeChainId(rpcUrl: string, timeoutMs = 2_000): Promise<number | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([publicClientFor(rpcUrl).getChainId().catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The demo genesis's CIDs: its manifests and artifacts stay in the IPFS repo until adopted or replaced. */
function demoRoots(demo: DemoGenesis): string[] {
  const roots: string[] = [];
  for (const role of ["generation", "embedding", "parameters"] as const) {
    const entry = demo[role] as { cid: string; artifacts?: Array<{ cid?: string }> };
    roots.push(entry.cid);
    for (const artifact of entry.artifacts ?? []) if (artifact.cid) roots.push(artifact.cid);
  }
  return roots;
}

/** A follower step as an audit entry: `governance` with the step's name and details. */
function governanceEntry(event: FollowerEvent): { type: "governance"; step: string; [key: string]: unknown } {
  const { type, ...rest } = event;
  return { type: "governance", step: type.replace(/^governance\./, ""), ...rest };
}
