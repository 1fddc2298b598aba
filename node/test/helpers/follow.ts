/**
 * Helpers of the "follow the chain" tests: a real node process (`ns-llm serve [--demo]`) that
 * follows a test chain, in its own NS_LLM_HOME on a port chosen once (a restart keeps it); the
 * adoption of a manifest through the whole governance path (propose, vote, queue, execute); and
 * second demo models, distinct from the genesis ones.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Role } from "@ns-llm/contracts";
import { unlockedWallet } from "../../src/chain/index.ts";
import { devPass, proposeAdoption } from "../../src/governance/index.ts";
import { demoLlamaShape, encodeDemoLlama } from "../../src/demo/index.ts";
import { encodeManifest, manifestDigest, type Manifest } from "../../src/manifest/index.ts";
import type { TestChain } from "./chain.ts";
import { freePort, isRunning, killOnExit, stopChild } from "./processes.ts";

const BIN = path.resolve(import.meta.dirname, "../../bin/ns-llm.js");

export type FollowNode = {
  readonly url: string;
  readonly home: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Everything it wrote on stdout and stderr since its last start. */
  readonly output: string;
  /** Starts the process (again, after kill), resolves when it says it listens. */
  start(): Promise<void>;
  /** Spawns without waiting for it to listen (a test that watches the start-up itself). */
  spawn(): void;
  /** Resolves when its output (since the last start) matches `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
  get<T = any>(route: string): Promise<T>;
  post(route: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Kills it and removes its home. */
  stop(): Promise<void>;
};

export type SpawnFollowNodeParameters = {
  chain: TestChain;
  demo?: boolean;
  env?: Record<string, string>;
};

/** A node process following `chain` (threads 1); started before it returns. */
export async function spawnFollowNode(p: SpawnFollowNodeParameters): Promise<FollowNode> {
  const home = await mkdtemp(path.join(os.tmpdir(), "ns-llm-follow-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = "";
  let waiters: Array<() => void> = [];
  const env = {
    ...process.env,
    NS_LLM_HOME: home,
    NS_LLM_HOST: "127.0.0.1",
    NS_LLM_PORT: String(port),
    NS_LLM_RPC_URL: p.chain.rpcUrl,
    NS_LLM_DEPLOYMENT: p.chain.deploymentFile,
    NS_LLM_THREADS: "1",
    ...p.env,
  };
  delete (env as Record<string, string | undefined>).NS_LLM_API_TOKEN;
  delete (env as Record<string, string | undefined>).NS_LLM_IPFS_API;

  const running = () => child !== undefined && isRunning(child);
  const spawnChild = () => {
    if (running()) throw new Error("the node is already running");
    output = "";
    const c = spawn(process.execPath, [BIN, "serve", ...(p.demo === false ? [] : ["--demo"])], { env, stdio: ["ignore", "pipe", "pipe"] });
    child = c;
    killOnExit(c);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.length > 1_000_000) output = output.slice(-500_000);
      for (const wake of waiters.splice(0)) wake();
    };
    c.stdout!.on("data", onData);
    c.stderr!.on("data", onData);
    c.once("exit", () => {
      for (const wake of waiters.splice(0)) wake();
    });
  };
  const waitForOutput = async (pattern: RegExp, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(output);
      if (match) return match;
      if (!running()) throw new Error(`the node exited (${child?.exitCode ?? child?.signalCode}) before printing ${pattern}:\n${output.slice(-4000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the node did not print ${pattern} within ${timeoutMs} ms:\n${output.slice(-4000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  const kill = async () => {
    if (child) await stopChild(child, "SIGKILL");
  };

  const node: FollowNode = {
    url,
    home,
    get pid() {
      return child?.pid;
    },
    get running() {
      return running();
    },
    get output() {
      return output;
    },
    async start() {
      spawnChild();
      await waitForOutput(/ns-llm listening on /, 90_000);
    },
    spawn: spawnChild,
    waitForOutput,
    kill,
    async get(route) {
      const response = await fetch(`${url}${route}`);
      if (!response.ok) throw new Error(`GET ${route}: ${response.status} ${await response.text()}`);
      return response.json();
    },
    post(route, body, headers = {}) {
      const raw = body instanceof Uint8Array;
      return fetch(`${url}${route}`, {
        method: "POST",
        headers: { "content-type": raw ? "application/octet-stream" : "application/json", ...headers },
        body: raw ? Buffer.from(body) : JSON.stringify(body),
      });
    },
    async stop() {
      await kill();
      await rm(home, { recursive: true, force: true });
    },
  };
  try {
    await node.start();
  } catch (error) {
    await node.stop();
    throw error;
  }
  return node;
}

/** Adds raw bytes (an artifact, or a manifest the node's own validation would refuse) through `POST /api/ipfs`. */
export async function addToNodeIpfs(node: FollowNode, bytes: Uint8Array): Promise<string> {
  const response = await node.post("/api/ipfs", bytes);
  if (response.status !== 200) throw new Error(`POST /api/ipfs: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { cid: string }).cid;
}

/** Publishes a manifest's canonical bytes through the node's IPFS, unvalidated; returns what a proposal adopts. */
export async function publishRawManifest(node: FollowNode, manifest: unknown): Promise<{ cid: string; digest: `0x${string}`; bytes: Uint8Array }> {
  const bytes = encodeManifest(manifest as Manifest);
  return { cid: await addToNodeIpfs(node, bytes), digest: manifestDigest(bytes), bytes };
}

/** Publishes a manifest through the node's validating `POST /api/manifests`; returns what a proposal adopts. */
export async function publishManifest(node: FollowNode, manifest: unknown): Promise<{ cid: string; digest: `0x${string}` }> {
  const response = await node.post("/api/manifests", manifest);
  if (response.status !== 200) throw new Error(`POST /api/manifests: ${response.status} ${await response.text()}`);
  return (await response.json()) as { cid: string; digest: `0x${string}` };
}

/** One short generation: which model and manifest answered, and from where. */
export async function generateOnce(node: FollowNode): Promise<{ model: string; manifest: string; source: string }> {
  const response = await node.post("/generate", { prompt: "Who are you?", maxTokens: 3 });
  if (response.status !== 200) throw new Error(`POST /generate: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { model: string; manifest: string; source: string };
  return { model: body.model, manifest: body.manifest, source: body.source };
}

export type AdoptParameters = { role: Role; cid: string; digest: `0x${string}`; name?: string };
export type AdoptReturnType = { proposalId: bigint; executeTx: `0x${string}` | undefined; executedAt: number };

/**
 * Takes `ModelRegistry.adopt(role, cid, digest)` through the whole governance path on the test
 * chain: propose, vote with the dev accounts, queue, execute. `executedAt` is the local time at
 * which the execute transaction's receipt arrived.
 */
export async function adopt(chain: TestChain, p: AdoptParameters): Promise<AdoptReturnType> {
  const chainId = await chain.publicClient.getChainId();
  const wallet = unlockedWallet(chain.rpcUrl, chain.accounts[0]!, chainId);
  const { proposalId } = await proposeAdoption({ publicClient: chain.publicClient, wallet, deployment: chain.deployment, ...p });
  let executedAt = 0;
  const { executeTx } = await devPass({
    publicClient: chain.publicClient,
    rpcUrl: chain.rpcUrl,
    deployment: chain.deployment,
    proposalId,
    log: (line) => {
      if (line.startsWith("executed")) executedAt = Date.now();
    },
  });
  return { proposalId, executeTx, executedAt };
}

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Another demo llama model: the same shape and vocabulary, other weights (so other bytes, another digest). */
export function otherDemoLlama(seed: number, name: string): Uint8Array {
  if (seed === demoLlamaShape.seed) throw new Error("that is the genesis model's seed");
  return encodeDemoLlama({ seed, name });
}

/** A generation manifest for one GGUF artifact. */
export function generationManifest(p: {
  name: string;
  sha256: string;
  size: number;
  sources: string[];
  path?: string;
}): Record<string, unknown> {
  return {
    schema: "ns-llm.manifest/v1",
    role: "generation",
    name: p.name,
    description: `test model ${p.name}`,
    model: {
      format: "gguf",
      contextLength: demoLlamaShape.contextLength,
      license: "MIT",
      artifacts: [{ path: p.path ?? "model.gguf", sha256: p.sha256, size: p.size, sources: p.sources }],
    },
  };
}

export type Health = {
  status: "ok" | "degraded";
  reasons: string[];
  generation: { ready: boolean; model: string | null; manifest: string | null };
  embedding: { ready: boolean; model: string | null; manifest: string | null };
  governance: { lastError?: { message: string } | null; [key: string]: unknown };
};

export type GovernanceError = { role: Role; version: number; cid: string; code: string; message: string; time: string; retrying: boolean };

export type GovernanceState = {
  applied: Partial<Record<Role, { version: number; cid: string; model: string; appliedAt: string }>>;
  /** What each role is fetching or loading now. */
  applying: Partial<Record<Role, { version: number; cid: string }>>;
  history: Array<{ role: Role; version: number; cid: string; status: string; code: string | null; reason: string | null; tries: number }>;
  lastError: GovernanceError | null;
  errors: Partial<Record<Role, GovernanceError>>;
};

export type AuditEntry = { seq: number; type: string; step?: string; role?: string; cid?: string; code?: string; reason?: string; [key: string]: unknown };

/** Every entry of the node's audit log (paged through GET /api/audit). */
export async function auditEntries(node: FollowNode): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  for (let from = 0; ; ) {
    const page = await node.get<{ entries: AuditEntry[]; next: number }>(`/api/audit?from=${from}&limit=1000`);
    all.push(...page.entries);
    if (page.entries.length < 1000) return all;
    from = page.next;
  }
}
