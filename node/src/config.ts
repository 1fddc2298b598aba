/**
 * The node's configuration: environment variables (SPEC.md, "Configuration"), checked once at
 * start so that a wrong value is a one-line error, not a failure later.
 */
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import type { LimitCeilings } from "./serving/governed-state.ts";

export type { LimitCeilings };
import { parsePrivateSourcesAllowed, type PrivateSourcesAllowed } from "./manifest/source-policy.ts";

const port = z.coerce.number().int().min(0).max(65535);
const optional = z.string().trim().min(1).optional().catch(undefined);
/** An operator ceiling on a governed limit: unset = no ceiling of the operator's own. */
const ceiling = (min: number, max: number) => z.coerce.number().int().min(min).max(max).optional();

const schema = z.object({
  NS_LLM_HOME: z.string().default("./.ns-llm"),
  NS_LLM_HOST: z.string().default("127.0.0.1"),
  NS_LLM_PORT: port.default(5555),
  NS_LLM_RPC_URL: z.url().default("http://127.0.0.1:8545"),
  NS_LLM_DEPLOYMENT: optional,
  NS_LLM_IPFS_API: optional,
  NS_LLM_OPERATOR_KEY: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key")
    .optional(),
  NS_LLM_THREADS: z.coerce.number().int().min(1).max(256).optional(),
  NS_LLM_CONTEXT_SIZE: z.coerce.number().int().min(64).max(1_048_576).optional(),
  // Unset or empty: no token. Blank (only spaces) is a mistake, not "no token": refusing it keeps
  // an operator who meant to set one from running an open node.
  NS_LLM_API_TOKEN: z
    .string()
    .refine((s) => s === "" || s.trim() !== "", "is blank: set a token (e.g. NS_LLM_API_TOKEN=$(openssl rand -hex 32)) or unset it for none")
    .transform((s) => s.trim() || undefined)
    .optional(),
  NS_LLM_CORS_ORIGINS: z.string().default("http://127.0.0.1:3000,http://localhost:3000"),
  NS_LLM_ALLOWED_HOSTS: z.string().default(""),
  NS_LLM_MAX_MODEL_BYTES: z.coerce.number().int().positive().default(8 * 1024 ** 3),
  NS_LLM_AUDIT_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(100),
  NS_LLM_AUDIT_BATCH_SECONDS: z.coerce.number().positive().default(30),
  NS_LLM_AUDIT_RECORD_TEXT: z.enum(["0", "1", "false", "true"]).default("0"),
  NS_LLM_MAX_CONCURRENT: ceiling(1, 1024),
  NS_LLM_MAX_QUEUE: ceiling(0, 100_000),
  NS_LLM_REQUEST_TIMEOUT_MS: ceiling(100, 3_600_000),
  NS_LLM_MAX_PROMPT_TOKENS: ceiling(1, 1_048_576),
  NS_LLM_MAX_OUTPUT_TOKENS: ceiling(1, 1_048_576),
  NS_LLM_MAX_EMBED_BATCH: ceiling(1, 10_000),
  NS_LLM_MAX_INPUT_CHARS: ceiling(1, 16_777_216),
  // Empty is unset (not 0, which would mean "the CPU only").
  NS_LLM_MAX_GPU_LAYERS: z.preprocess((v) => (v === "" ? undefined : v), ceiling(0, 1024)),
  NS_LLM_DRY_RUN: z.enum(["0", "1", "false", "true"]).default("0"),
  NS_LLM_DRY_RUN_MEMORY_MB: z.coerce.number().int().min(16).default(1024),
  NS_LLM_ALLOW_PRIVATE_SOURCES: z.enum(["0", "none", "false", "loopback", "1", "private", "true"]).optional(),
  NS_LLM_ALLOW_HTTP_SOURCES: z.enum(["0", "1", "false", "true"]).default("0"),
  NS_LLM_MAX_STORE_BYTES: z.coerce.number().int().positive().default(64 * 1024 ** 3),
  NS_LLM_MAX_IPFS_BYTES: z.coerce.number().int().positive().default(32 * 1024 ** 3),
  NS_LLM_MIN_FREE_BYTES: z.coerce.number().int().min(0).default(1024 ** 3),
  NS_LLM_GC_INTERVAL_S: z.coerce.number().min(0).default(3600),
  NS_LLM_IPFS_GC_GRACE_S: z.coerce.number().min(0).default(14 * 24 * 3600),
  NS_LLM_CONFIRMATIONS: z.coerce.number().int().min(0).max(1000).optional(),
  // The federated cache (issue 17): off unless one of these is set. Comma-separated multiaddrs.
  NS_LLM_FEDERATION_LISTEN: z
    .string()
    .default("")
    .refine((s) => list(s).every((a) => a.startsWith("/")), "must be comma-separated multiaddrs, e.g. /ip4/127.0.0.1/tcp/4010"),
  NS_LLM_FEDERATION_BOOTSTRAP: z
    .string()
    .default("")
    .refine((s) => list(s).every((a) => a.startsWith("/") && a.includes("/p2p/")), "must be comma-separated multiaddrs ending in /p2p/<peer id>"),
  NS_LLM_FEDERATION_OPERATORS: z.enum(["any", "anchored"]).default("any"),
  NS_LLM_PLUGINS: z.string().default(""),
  NS_LLM_DAPP: z.enum(["0", "1", "false", "true"]).default("1"),
  NS_LLM_DAPP_DIR: optional,
  NS_LLM_PLUGIN_CALL_MS: z.coerce.number().int().min(1).max(600_000).default(1000),
  NS_LLM_PLUGIN_MEMORY_MB: z.coerce.number().int().min(4).max(65_536).default(64),
});

export type Config = {
  home: string;
  host: string;
  port: number;
  rpcUrl: string;
  deploymentFile: string | undefined;
  ipfsApi: string | undefined;
  operatorKey: `0x${string}` | undefined;
  threads: number;
  /** Tokens of context per generation (prompt + reply); undefined: the model's training context, at most 4096. */
  contextSize: number | undefined;
  apiToken: string | undefined;
  /** Browser origins allowed: CORS, and the only pages that may send state-changing requests. */
  corsOrigins: string[];
  /** Host names the node answers to besides loopback ones (a request with the token may use any). */
  allowedHosts: string[];
  /** The largest total artifact size a manifest may name. */
  maxModelBytes: number;
  /** The audit log closes a batch every this many entries... */
  auditBatchSize: number;
  /** ...or this many seconds, whichever comes first. */
  auditBatchSeconds: number;
  /** Which audit batch settings the operator set explicitly: those win over governed ones. */
  auditBatchPinned: { size: boolean; seconds: boolean };
  /** Keep requests' raw text in the audit log, not only its sha256 (the operator's opt-in). */
  auditRecordText: boolean;
  /** The operator's ceilings on the governed limits (NS_LLM_MAX_CONCURRENT...): a governed value above one is clamped to it. */
  ceilings: LimitCeilings;
  /** Dry-run proposed models in a sandbox and report on chain (issue 16), within this memory budget. */
  dryRun: { enabled: boolean; memoryBudgetBytes: number };
  /** Which private addresses manifest sources may reach; undefined = loopback on the dev chain, else none. */
  allowPrivateSources: PrivateSourcesAllowed | undefined;
  /** Fetch http:// sources even when private sources are not allowed. */
  allowHttpSources: boolean;
  /** Quota of the model store (blobs + partial downloads). */
  maxStoreBytes: number;
  /** Quota of the embedded IPFS repo for uploads (POST /api/ipfs, ns-llm ipfs add). */
  maxIpfsBytes: number;
  /** Free disk space every download and upload must leave. */
  minFreeBytes: number;
  /** Seconds between garbage collection sweeps; 0 = never (ns-llm gc only). */
  gcIntervalSeconds: number;
  /** IPFS blocks younger than this stay (a proposal's manifest and artifacts, published here, while it is voted on). */
  ipfsGcGraceSeconds: number;
  /** Blocks under a registry change before the follower applies it; undefined = 0 on the dev chain, 2 elsewhere. */
  confirmations: number | undefined;
  /** The federated cache over libp2p: where to listen and which peers to dial (both empty = off); whose answers to take ("anchored": operators with an audit batch on the chain). */
  federation: { listen: string[]; bootstrap: string[]; operators: "any" | "anchored" };
  /** Contributor plugins (issue 21): folders or npm package names, and the budget of each call (time, worker heap). */
  plugins: { specs: string[]; callMs: number; memoryMb: number };
  /**
   * The dApp served on the node's own port: a Next.js standalone build (NS_LLM_DAPP_DIR; a
   * package's app/web by default, see dapp/), unless NS_LLM_DAPP=0. No dir: no dApp.
   */
  dapp: { enabled: boolean; dir: string | undefined };
};

const list = (value: string) => value.split(",").map((s) => s.trim()).filter(Boolean);

/** Inference threads when none is set: every core but one, at least one (2 cores -> 1). */
export function defaultThreads(cores = os.availableParallelism()): number {
  return Math.max(1, cores - 1);
}

/** Reads the configuration from `env`; throws one error naming every wrong variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ");
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    home: path.resolve(e.NS_LLM_HOME),
    host: e.NS_LLM_HOST,
    port: e.NS_LLM_PORT,
    rpcUrl: e.NS_LLM_RPC_URL,
    deploymentFile: e.NS_LLM_DEPLOYMENT,
    ipfsApi: e.NS_LLM_IPFS_API,
    operatorKey: e.NS_LLM_OPERATOR_KEY as `0x${string}` | undefined,
    threads: e.NS_LLM_THREADS ?? defaultThreads(),
    contextSize: e.NS_LLM_CONTEXT_SIZE,
    apiToken: e.NS_LLM_API_TOKEN,
    corsOrigins: list(e.NS_LLM_CORS_ORIGINS),
    allowedHosts: list(e.NS_LLM_ALLOWED_HOSTS),
    maxModelBytes: e.NS_LLM_MAX_MODEL_BYTES,
    auditBatchSize: e.NS_LLM_AUDIT_BATCH_SIZE,
    auditBatchSeconds: e.NS_LLM_AUDIT_BATCH_SECONDS,
    auditBatchPinned: { size: Boolean(env.NS_LLM_AUDIT_BATCH_SIZE), seconds: Boolean(env.NS_LLM_AUDIT_BATCH_SECONDS) },
    auditRecordText: e.NS_LLM_AUDIT_RECORD_TEXT === "1" || e.NS_LLM_AUDIT_RECORD_TEXT === "true",
    ceilings: Object.fromEntries(
      Object.entries({
        maxConcurrent: e.NS_LLM_MAX_CONCURRENT,
        maxQueue: e.NS_LLM_MAX_QUEUE,
        requestTimeoutMs: e.NS_LLM_REQUEST_TIMEOUT_MS,
        maxPromptTokens: e.NS_LLM_MAX_PROMPT_TOKENS,
        maxOutputTokens: e.NS_LLM_MAX_OUTPUT_TOKENS,
        maxEmbedBatch: e.NS_LLM_MAX_EMBED_BATCH,
        maxInputChars: e.NS_LLM_MAX_INPUT_CHARS,
        maxGpuLayers: e.NS_LLM_MAX_GPU_LAYERS,
      }).filter(([, v]) => v !== undefined),
    ) as LimitCeilings,
    dryRun: { enabled: e.NS_LLM_DRY_RUN === "1" || e.NS_LLM_DRY_RUN === "true", memoryBudgetBytes: e.NS_LLM_DRY_RUN_MEMORY_MB * 1024 ** 2 },
    allowPrivateSources: parsePrivateSourcesAllowed(e.NS_LLM_ALLOW_PRIVATE_SOURCES),
    allowHttpSources: e.NS_LLM_ALLOW_HTTP_SOURCES === "1" || e.NS_LLM_ALLOW_HTTP_SOURCES === "true",
    maxStoreBytes: e.NS_LLM_MAX_STORE_BYTES,
    maxIpfsBytes: e.NS_LLM_MAX_IPFS_BYTES,
    minFreeBytes: e.NS_LLM_MIN_FREE_BYTES,
    gcIntervalSeconds: e.NS_LLM_GC_INTERVAL_S,
    ipfsGcGraceSeconds: e.NS_LLM_IPFS_GC_GRACE_S,
    confirmations: e.NS_LLM_CONFIRMATIONS,
    federation: { listen: list(e.NS_LLM_FEDERATION_LISTEN), bootstrap: list(e.NS_LLM_FEDERATION_BOOTSTRAP), operators: e.NS_LLM_FEDERATION_OPERATORS },
    plugins: { specs: list(e.NS_LLM_PLUGINS), callMs: e.NS_LLM_PLUGIN_CALL_MS, memoryMb: e.NS_LLM_PLUGIN_MEMORY_MB },
    dapp: { enabled: e.NS_LLM_DAPP === "1" || e.NS_LLM_DAPP === "true", dir: e.NS_LLM_DAPP_DIR ? path.resolve(e.NS_LLM_DAPP_DIR) : undefined },
  };
}
