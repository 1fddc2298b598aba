/**
 * The governance follower: keeps what this node runs equal to what `ModelRegistry` holds.
 *
 * The registry's `current(role)` is the source of truth; `ManifestAdopted` events (watched, and
 * read from a persisted cursor so downtime loses nothing) wake the loop at once and feed the
 * history, and a poll every `pollMs` is the safety net. For each role whose adoption differs
 * from what is applied: fetch the manifest by CID, check its sha256 against the digest on chain,
 * validate it, then hand it to the applier (fetch and verify artifacts, load beside the current
 * model, smoke-test, swap). Any failure leaves the current model serving.
 */
import { createHash } from "node:crypto";
import { parseAbiItem, type Address, type PublicClient } from "viem";
import { modelRegistryAbi, roleFromId, roleId, ROLES, type Role } from "@ns-llm/contracts";
import { AdoptionError, toAdoptionError } from "./errors.ts";
// Apply cheap roles first, so parameters never wait behind a model download.
import { APPLY_ORDER, restoreApplied, type RestoreAppliedReturnType } from "./restore.ts";
import type { Attempt, FollowerState } from "./state.ts";

/** An adoption read from the chain. */
export type Adoption = { role: Role; version: number; cid: string; digest: `0x${string}` };

/** Applies a verified, validated manifest to the running node. */
export type Applier<M> = {
  /** Loads `manifest` for `role` and swaps it in; throws on any failure, leaving the current one serving. */
  apply(role: Role, manifest: M, adoption: Adoption, options: { signal: AbortSignal; offline: boolean }): Promise<void>;
};

export type FollowerParameters<M> = {
  publicClient: PublicClient;
  registry: Address;
  /** The block the registry was deployed at: where catch-up starts the first time. */
  startBlock: number;
  state: FollowerState;
  fetchManifest(cid: string, options: { signal: AbortSignal }): Promise<Uint8Array>;
  /** Throws an error with `code` MANIFEST_INVALID (or another permanent code) when invalid. */
  parseManifest(bytes: Uint8Array): M & { role: Role; name: string };
  applier: Applier<M>;
  pollMs?: number;
  /** Backoff of transient failures: first delay and cap, in ms. */
  retry?: { baseMs: number; maxMs: number };
  /** Every governance step, for the audit log. */
  onEvent?: (event: FollowerEvent) => void;
  log?: (line: string) => void;
};

export type FollowerEvent =
  | { type: "governance.adoption-seen"; role: Role; version: number; cid: string; block: number }
  | { type: "governance.manifest-fetched"; role: Role; version: number; cid: string; bytes: number }
  | { type: "governance.verified"; role: Role; version: number; cid: string; name: string }
  | { type: "governance.applied"; role: Role; version: number; cid: string; name: string; ms: number }
  | { type: "governance.refused"; role: Role; version: number; cid: string; code: string; reason: string; retry: boolean };

export type GovernanceStatus = {
  chainId: number | null;
  registry: Address;
  syncedBlock: number | null;
  lag: number | null;
  applied: Partial<Record<Role, { version: number; cid: string; model: string; appliedAt: string }>>;
  history: Attempt[];
  lastError: { role: Role; version: number; cid: string; code: string; message: string; time: string; retrying: boolean } | null;
};

const adoptedEvent = parseAbiItem("event ManifestAdopted(bytes32 indexed role, uint64 indexed version, string cid, bytes32 digest)");
const LOG_RANGE = 5_000n;

export class Follower<M> {
  #p: FollowerParameters<M>;
  #chainId: number | null = null;
  /** The registry plus the hash of its deployment block: a new dev chain at the same address is another chain. */
  #cursorKey: string | undefined;
  #head: number | null = null;
  #synced: number | null = null;
  #lastError: GovernanceStatus["lastError"] = null;
  #retryAt = new Map<string, number>();
  #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #wakeAgain = false;
  #unwatch: (() => void) | undefined;
  #idleWaiters: Array<() => void> = [];
  /** Roles whose applied manifest could not be loaded at start: applied again from the sources. */
  #unrestored = new Set<Role>();

  constructor(parameters: FollowerParameters<M>) {
    this.#p = parameters;
  }

  /**
   * Restores what was applied before (from the database and the store, no network) unless
   * `restored` says the caller did it already (the node restores before it listens), then starts
   * following the chain. Restoring failures are reported, never fatal.
   */
  async start(options: { restored?: RestoreAppliedReturnType } = {}): Promise<void> {
    const { failed } =
      options.restored ??
      (await restoreApplied({ state: this.#p.state, parseManifest: this.#p.parseManifest, applier: this.#p.applier, signal: this.#abort.signal, log: this.#p.log }));
    for (const { adoption, error } of failed) {
      this.#setError(adoption, error, false);
      this.#unrestored.add(adoption.role);
    }
    try {
      this.#unwatch = this.#p.publicClient.watchContractEvent({
        address: this.#p.registry,
        abi: modelRegistryAbi,
        eventName: "ManifestAdopted",
        pollingInterval: this.#p.pollMs ?? 500,
        onLogs: () => this.wake(),
        onError: () => {},
      });
    } catch {
      // Polling below still follows the chain.
    }
    this.wake();
  }

  /** Runs a sync now (or right after the one in progress). */
  wake(): void {
    if (this.#abort.signal.aborted) return;
    if (this.#running) {
      this.#wakeAgain = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#sync()
      .catch((error) => this.#log(`sync failed: ${error instanceof Error ? error.message : error}`))
      .finally(() => {
        this.#running = undefined;
        if (this.#abort.signal.aborted) return;
        if (this.#wakeAgain) {
          this.#wakeAgain = false;
          this.wake();
        } else {
          for (const resolve of this.#idleWaiters.splice(0)) resolve();
          this.#timer = setTimeout(() => this.wake(), this.#nextDelay());
        }
      });
  }

  /** Resolves after the next complete sync (tests and `dev pass` use it). */
  async synced(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#idleWaiters.push(resolve);
      this.wake();
    });
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    clearTimeout(this.#timer);
    this.#unwatch?.();
    await this.#running?.catch(() => {});
  }

  status(): GovernanceStatus {
    const applied: GovernanceStatus["applied"] = {};
    for (const role of ROLES) {
      const a = this.#p.state.applied(role);
      if (a) applied[role] = { version: a.version, cid: a.cid, model: nameOf(a.manifest), appliedAt: a.appliedAt };
    }
    return {
      chainId: this.#chainId,
      registry: this.#p.registry,
      syncedBlock: this.#synced,
      lag: this.#head !== null && this.#synced !== null ? this.#head - this.#synced : null,
      applied,
      history: this.#p.state.history(20),
      lastError: this.#lastError,
    };
  }

  async #sync(): Promise<void> {
    const client = this.#p.publicClient;
    this.#chainId ??= await client.getChainId();
    if (!this.#cursorKey) {
      const block = await client.getBlock({ blockNumber: BigInt(this.#p.startBlock) });
      this.#cursorKey = `${this.#p.registry.toLowerCase()}@${block.hash}`;
    }
    const head = await client.getBlockNumber();
    this.#head = Number(head);
    await this.#readHistory(head);
    for (const role of APPLY_ORDER) {
      if (this.#abort.signal.aborted) return;
      const [version, cid, digest] = await client.readContract({
        address: this.#p.registry,
        abi: modelRegistryAbi,
        functionName: "current",
        args: [roleId(role)],
        blockNumber: head,
      });
      if (version === 0n) continue;
      await this.#ensure({ role, version: Number(version), cid, digest });
    }
    this.#synced = Number(head);
  }

  /** Records every adoption event since the cursor, then moves the cursor to `head`. */
  async #readHistory(head: bigint): Promise<void> {
    const chainId = this.#chainId!;
    const stored = this.#p.state.cursor(chainId, this.#cursorKey!);
    let from = BigInt(stored === undefined ? this.#p.startBlock : stored + 1);
    while (from <= head) {
      const to = from + LOG_RANGE - 1n < head ? from + LOG_RANGE - 1n : head;
      const logs = await this.#p.publicClient.getLogs({ address: this.#p.registry, event: adoptedEvent, fromBlock: from, toBlock: to });
      for (const log of logs) {
        const role = roleFromId(log.args.role!);
        if (!role) continue;
        const version = Number(log.args.version);
        this.#p.state.recordAttempt(role, version, log.args.cid!, "seen", null, null);
        this.#p.onEvent?.({ type: "governance.adoption-seen", role, version, cid: log.args.cid!, block: Number(log.blockNumber) });
      }
      this.#p.state.setCursor(chainId, this.#cursorKey!, Number(to));
      from = to + 1n;
    }
  }

  async #ensure(adoption: Adoption): Promise<void> {
    const applied = this.#p.state.applied(adoption.role);
    if (applied && applied.cid === adoption.cid && applied.digest === adoption.digest && !this.#unrestored.has(adoption.role)) return;
    const key = `${adoption.role}:${adoption.version}:${adoption.cid}`;
    const attempt = this.#p.state.attempt(adoption.role, adoption.version, adoption.cid);
    if (attempt?.status === "failed") return;
    if ((this.#retryAt.get(key) ?? 0) > Date.now()) return;

    const started = Date.now();
    try {
      const { manifest, bytes } = await this.#verifiedManifest(adoption);
      await this.#p.applier.apply(adoption.role, manifest, adoption, { signal: this.#abort.signal, offline: false });
      this.#p.state.markApplied({
        role: adoption.role,
        version: adoption.version,
        cid: adoption.cid,
        digest: adoption.digest,
        manifest: new TextDecoder().decode(bytes),
        appliedAt: new Date().toISOString(),
      });
      this.#retryAt.delete(key);
      this.#unrestored.delete(adoption.role);
      if (this.#lastError?.role === adoption.role) this.#lastError = null;
      this.#p.onEvent?.({ type: "governance.applied", ...pick(adoption), name: manifest.name, ms: Date.now() - started });
      this.#log(`applied ${adoption.role} v${adoption.version} ${manifest.name} (${adoption.cid}) in ${Date.now() - started} ms`);
    } catch (error) {
      if (this.#abort.signal.aborted) return;
      const e = toAdoptionError(error);
      const tries = (attempt?.tries ?? 0) + 1;
      this.#p.state.recordAttempt(adoption.role, adoption.version, adoption.cid, e.transient ? "retrying" : "failed", e.code, e.message);
      if (e.transient) {
        const { baseMs, maxMs } = this.#p.retry ?? { baseMs: 1_000, maxMs: 60_000 };
        const delay = Math.min(maxMs, baseMs * 2 ** Math.min(tries - 1, 16)) * (0.5 + Math.random() / 2);
        this.#retryAt.set(key, Date.now() + delay);
      }
      this.#setError(adoption, e, e.transient);
      this.#p.onEvent?.({ type: "governance.refused", ...pick(adoption), code: e.code, reason: e.message, retry: e.transient });
      this.#log(`refused ${adoption.role} v${adoption.version} (${adoption.cid}): ${e.code}: ${e.message}${e.transient ? " (will retry)" : ""}`);
    }
  }

  /** Fetches the manifest, checks its bytes against the digest on chain, validates it. */
  async #verifiedManifest(adoption: Adoption): Promise<{ manifest: M & { role: Role; name: string }; bytes: Uint8Array }> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#p.fetchManifest(adoption.cid, { signal: this.#abort.signal });
    } catch (error) {
      throw new AdoptionError("MANIFEST_UNREACHABLE", `could not fetch manifest ${adoption.cid}: ${(error as Error).message}`, {
        transient: true,
        cause: error,
      });
    }
    this.#p.onEvent?.({ type: "governance.manifest-fetched", ...pick(adoption), bytes: bytes.byteLength });
    const digest = `0x${createHash("sha256").update(bytes).digest("hex")}`;
    if (digest !== adoption.digest.toLowerCase()) {
      throw new AdoptionError("DIGEST_MISMATCH", `manifest bytes hash to ${digest}, the chain says ${adoption.digest}`, { transient: false });
    }
    let manifest: M & { role: Role; name: string };
    try {
      manifest = this.#p.parseManifest(bytes);
    } catch (error) {
      throw new AdoptionError("MANIFEST_INVALID", (error as Error).message, { transient: false, cause: error });
    }
    if (manifest.role !== adoption.role) {
      throw new AdoptionError("ROLE_MISMATCH", `manifest is for role ${manifest.role}, adopted as ${adoption.role}`, { transient: false });
    }
    this.#p.onEvent?.({ type: "governance.verified", ...pick(adoption), name: manifest.name });
    return { manifest, bytes };
  }

  #setError(adoption: Adoption, error: AdoptionError, retrying: boolean): void {
    this.#lastError = {
      role: adoption.role,
      version: adoption.version,
      cid: adoption.cid,
      code: error.code,
      message: error.message,
      time: new Date().toISOString(),
      retrying,
    };
  }

  #nextDelay(): number {
    const poll = this.#p.pollMs ?? 500;
    const soonestRetry = Math.min(...this.#retryAt.values(), Number.POSITIVE_INFINITY) - Date.now();
    return Math.max(10, Math.min(poll, soonestRetry));
  }

  #log(line: string): void {
    this.#p.log?.(`governance: ${line}`);
  }
}

function pick(a: Adoption): { role: Role; version: number; cid: string } {
  return { role: a.role, version: a.version, cid: a.cid };
}

function nameOf(manifest: string): string {
  try {
    return String((JSON.parse(manifest) as { name?: unknown }).name ?? "");
  } catch {
    return "";
  }
}
