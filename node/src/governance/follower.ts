/**
 * The governance follower: keeps what this node runs equal to what `ModelRegistry` holds.
 *
 * The registry's `current(role)` is the source of truth; `ManifestAdopted` events (watched, and
 * read from a persisted cursor so downtime loses nothing) wake the loop at once and feed the
 * history, and a poll every `pollMs` is the safety net. For each role whose adoption differs
 * from what is applied: fetch the manifest by CID, check its sha256 against the digest on chain,
 * validate it, then hand it to the applier (fetch and verify artifacts, load beside the current
 * model, smoke-test, swap). Any failure leaves the current model serving.
 *
 * Each role progresses on its own (RoleLanes): a parameters change applies while a model
 * downloads, and when the chain moves a role on while an older adoption of it is still being
 * fetched or loaded, the older one is aborted (its partial download stays in the store for a
 * later resume), recorded as superseded, and the newer one starts once it has settled.
 */
import { parseAbiItem, type Address, type PublicClient } from "viem";
import { manifestDigest, modelRegistryAbi, roleFromId, roleId, type FollowError, type GovernanceError, type GovernanceStatus, type Role } from "@ns-llm/contracts";
import { AdoptionError, toAdoptionError } from "./errors.ts";
import { restoreApplied, type RestoreAppliedReturnType } from "./restore.ts";
import { RoleLanes } from "./role-lanes.ts";
import type { FollowerState } from "./state.ts";
import { APPLY_ORDER, type Adoption, type Applier } from "./types.ts";

export type { Adoption, Applier };

export type FollowerParameters<M> = {
  publicClient: PublicClient;
  registry: Address;
  /** The block the registry was deployed at: where catch-up starts the first time. */
  startBlock: number;
  state: FollowerState;
  fetchManifest(cid: string, options: { signal: AbortSignal }): Promise<Uint8Array>;
  /** Throws an error with `code` manifest_invalid (or another permanent code) when invalid. */
  parseManifest(bytes: Uint8Array): M & { role: Role; name: string };
  applier: Applier<M>;
  /** The roles this node applies, in order; default APPLY_ORDER (a packaged node adds `release`). */
  roles?: readonly Role[];
  pollMs?: number;
  /** Backoff of transient failures: first delay and cap, in ms; `maxTries` tries in all before the adoption is refused (default 8). */
  retry?: { baseMs: number; maxMs: number; maxTries?: number };
  /**
   * Blocks a change must have under it before the follower acts on it: it reads the registry at
   * head - confirmations, so a reorganisation of the last blocks cannot make it apply (and
   * audit) an adoption that then vanishes. Default 0.
   */
  confirmations?: number;
  /** Every governance step, for the audit log. */
  onEvent?: (event: FollowerEvent) => void;
  log?: (line: string) => void;
};

export type FollowerEvent =
  | { type: "governance.adoption-seen"; role: Role; version: number; cid: string; block: number }
  | { type: "governance.manifest-fetched"; role: Role; version: number; cid: string; bytes: number }
  | { type: "governance.verified"; role: Role; version: number; cid: string; name: string }
  | { type: "governance.applied"; role: Role; version: number; cid: string; name: string; ms: number }
  | { type: "governance.refused"; role: Role; version: number; cid: string; code: string; reason: string; retry: boolean }
  /** The chain moved `role` on to `byVersion` while this adoption was in flight or waiting to retry. */
  | { type: "governance.superseded"; role: Role; version: number; cid: string; byVersion: number; byCid: string };

export type { GovernanceError, GovernanceStatus };

/** Tries of a transiently failing adoption before it is refused (about 4 minutes with the default backoff). */
export const DEFAULT_MAX_TRIES = 8;

const adoptedEvent = parseAbiItem("event ManifestAdopted(bytes32 indexed role, uint64 indexed version, string cid, bytes32 digest)");
const LOG_RANGE = 5_000n;

export class Follower<M> {
  #p: FollowerParameters<M>;
  #chainId: number | null = null;
  /** The registry plus the hash of its deployment block: a new dev chain at the same address is another chain. */
  #cursorKey: string | undefined;
  #head: number | null = null;
  #synced: number | null = null;
  #errors = new Map<Role, GovernanceError>();
  /** Why the last read of the chain failed (the RPC stopped answering), until one succeeds. */
  #chainError: FollowError | null = null;
  /** Adoptions that failed transiently, by key: when to try again. */
  #retries = new Map<string, { adoption: Adoption; at: number }>();
  #abort = new AbortController();
  #lanes = new RoleLanes<Adoption>(this.#abort.signal);
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
      (await restoreApplied({ state: this.#p.state, parseManifest: this.#p.parseManifest, applier: this.#p.applier, signal: this.#abort.signal, log: this.#p.log, ...(this.#p.roles ? { roles: this.#p.roles } : {}) }));
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
      .then(() => {
        this.#chainError = null;
      })
      .catch((error) => {
        const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
        if (!this.#chainError) this.#log(`sync failed: ${message}`);
        this.#chainError = { code: "chain_unreachable", message: `cannot read the chain: ${message}`, time: new Date().toISOString() };
      })
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

  /** Resolves after the next complete sync and once every apply it started (or found running) has settled. */
  async synced(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#idleWaiters.push(resolve);
      this.wake();
    });
    await this.#lanes.settled();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    clearTimeout(this.#timer);
    this.#unwatch?.();
    await this.#running?.catch(() => {});
    await this.#lanes.settled();
  }

  /** Adoptions being applied or waiting to retry: what garbage collection must not take from. */
  pending(): Adoption[] {
    return [...[...this.#lanes.all()].map(({ item }) => item), ...[...this.#retries.values()].map((r) => r.adoption)];
  }

  status(): GovernanceStatus {
    const applying: GovernanceStatus["applying"] = {};
    for (const { role, item } of this.#lanes.all()) applying[role] = { version: item.version, cid: item.cid };
    const errors: GovernanceStatus["errors"] = {};
    let lastError: GovernanceError | null = null;
    // The map keeps insertion order and #setError re-inserts: the last entry is the most recent.
    for (const [role, error] of this.#errors) {
      errors[role] = error;
      lastError = error;
    }
    return {
      chainId: this.#chainId,
      registry: this.#p.registry,
      syncedBlock: this.#synced,
      lag: this.#head !== null && this.#synced !== null ? this.#head - this.#synced : null,
      applied: this.#p.state.appliedRoles(),
      applying,
      history: this.#p.state.history(20),
      lastError,
      errors,
      chainError: this.#chainError,
    };
  }

  async #sync(): Promise<void> {
    const client = this.#p.publicClient;
    this.#chainId ??= await client.getChainId();
    if (!this.#cursorKey) {
      const block = await client.getBlock({ blockNumber: BigInt(this.#p.startBlock) });
      this.#cursorKey = `${this.#p.registry.toLowerCase()}@${block.hash}`;
    }
    // cacheTime 0: viem otherwise answers from a cache as old as its polling interval, so a wake
    // by the adoption event would read `current` at the block before the adoption and apply it
    // only at the next poll (the head cache delayed adoptions by up to a second).
    const tip = await client.getBlockNumber({ cacheTime: 0 });
    this.#head = Number(tip);
    const depth = BigInt(this.#p.confirmations ?? 0);
    const head = tip > depth ? tip - depth : 0n;
    if (head < BigInt(this.#p.startBlock)) return; // the deployment itself is not confirmed yet
    await this.#readHistory(head);
    for (const role of this.#p.roles ?? APPLY_ORDER) {
      if (this.#abort.signal.aborted) return;
      const [version, cid, digest] = await client.readContract({
        address: this.#p.registry,
        abi: modelRegistryAbi,
        functionName: "current",
        args: [roleId(role)],
        blockNumber: head,
      });
      if (version === 0n) continue;
      this.#reconcile({ role, version: Number(version), cid, digest });
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

  /**
   * Brings `role` towards `adoption`, the one the chain holds: passes over any older adoption of
   * the role still in flight or waiting to retry, and starts applying `adoption` unless it is
   * applied, running, refused for good, or waiting out its backoff. Never waits for the apply.
   */
  #reconcile(adoption: Adoption): void {
    const { role } = adoption;
    const key = keyOf(adoption);
    const error = this.#errors.get(role);
    // A role's error is about the adoption the chain holds for it, or it is no longer current.
    if (error && keyOf(error) !== key) this.#errors.delete(role);
    for (const [k, retry] of this.#retries) {
      if (retry.adoption.role !== role || k === key) continue;
      this.#retries.delete(k);
      if (this.#lanes.current(role)?.key !== k) this.#superseded(retry.adoption, adoption);
    }
    const running = this.#lanes.current(role);
    if (running?.key === key) return;
    if (running) {
      this.#lanes.abort(role, new AdoptionError("superseded", `the chain adopted ${role} v${adoption.version}`, { transient: false }));
      this.#superseded(running.item, adoption);
    }

    const applied = this.#p.state.applied(role);
    if (applied && applied.cid === adoption.cid && applied.digest === adoption.digest && !this.#unrestored.has(role)) return;
    if (this.#p.state.attempt(role, adoption.version, adoption.cid)?.status === "failed") return;
    if ((this.#retries.get(key)?.at ?? 0) > Date.now()) return;
    this.#lanes.start(role, key, adoption, (signal) => this.#apply(adoption, signal));
  }

  async #apply(adoption: Adoption, signal: AbortSignal): Promise<void> {
    const key = keyOf(adoption);
    const started = Date.now();
    try {
      const { manifest, bytes } = await this.#verifiedManifest(adoption, signal);
      await this.#p.applier.apply(adoption.role, manifest, adoption, { signal, offline: false });
      // Recorded even when aborted meanwhile: past the swap, this is what serves.
      this.#p.state.markApplied({
        role: adoption.role,
        version: adoption.version,
        cid: adoption.cid,
        digest: adoption.digest,
        manifest: new TextDecoder().decode(bytes),
        appliedAt: new Date().toISOString(),
      });
      this.#retries.delete(key);
      this.#unrestored.delete(adoption.role);
      const error = this.#errors.get(adoption.role);
      if (error && keyOf(error) === key) this.#errors.delete(adoption.role);
      this.#p.onEvent?.({ type: "governance.applied", ...pick(adoption), name: manifest.name, ms: Date.now() - started });
      this.#log(`applied ${adoption.role} v${adoption.version} ${manifest.name} (${adoption.cid}) in ${Date.now() - started} ms`);
    } catch (error) {
      // Superseded (already recorded) or stopping: not a failure of the adoption.
      if (signal.aborted) return;
      const e = toAdoptionError(error);
      const tries = (this.#p.state.attempt(adoption.role, adoption.version, adoption.cid)?.tries ?? 0) + 1;
      const { baseMs, maxMs, maxTries = DEFAULT_MAX_TRIES } = this.#p.retry ?? { baseMs: 1_000, maxMs: 60_000 };
      // A transient failure is retried with backoff, a bounded number of times; then it is
      // refused like a permanent one, until the operator asks again (ns-llm adoption retry).
      const retry = e.transient && tries < maxTries;
      const reason = e.transient && !retry ? `${e.message} (gave up after ${tries} tries)` : e.message;
      const detail = e.detail ?? e.message;
      this.#p.state.recordAttempt(adoption.role, adoption.version, adoption.cid, retry ? "retrying" : "failed", e.code, reason, detail);
      if (retry) {
        const delay = Math.min(maxMs, baseMs * 2 ** Math.min(tries - 1, 16)) * (0.5 + Math.random() / 2);
        this.#retries.set(key, { adoption, at: Date.now() + delay });
      } else {
        this.#retries.delete(key);
      }
      this.#setError(adoption, new AdoptionError(e.code, reason, { transient: e.transient }), retry);
      this.#p.onEvent?.({ type: "governance.refused", ...pick(adoption), code: e.code, reason, retry });
      this.#log(
        `refused ${adoption.role} v${adoption.version} (${adoption.cid}): ${e.code}: ${detail}${retry ? " (will retry)" : e.transient ? ` (gave up after ${tries} tries; ns-llm adoption retry ${adoption.role})` : ""}`,
      );
    }
  }

  /** Records that the chain moved `older`'s role on to `newer` before `older` was applied. */
  #superseded(older: Adoption, newer: Adoption): void {
    // It may have swapped in just before the chain moved on: then it was applied, not passed over.
    if (this.#p.state.attempt(older.role, older.version, older.cid)?.status === "applied") return;
    this.#p.state.recordAttempt(older.role, older.version, older.cid, "superseded", "superseded", `the chain adopted ${newer.role} v${newer.version} (${newer.cid})`);
    this.#p.onEvent?.({ type: "governance.superseded", ...pick(older), byVersion: newer.version, byCid: newer.cid });
    this.#log(`superseded ${older.role} v${older.version} (${older.cid}) by v${newer.version} (${newer.cid})`);
  }

  /** Fetches the manifest, checks its bytes against the digest on chain, validates it. */
  async #verifiedManifest(adoption: Adoption, signal: AbortSignal): Promise<{ manifest: M & { role: Role; name: string }; bytes: Uint8Array }> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#p.fetchManifest(adoption.cid, { signal });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new AdoptionError("manifest_unreachable", `could not fetch manifest ${adoption.cid}: ${(error as Error).message}`, {
        transient: true,
        cause: error,
      });
    }
    this.#p.onEvent?.({ type: "governance.manifest-fetched", ...pick(adoption), bytes: bytes.byteLength });
    const digest = manifestDigest(bytes);
    if (digest !== adoption.digest.toLowerCase()) {
      throw new AdoptionError("digest_mismatch", `manifest bytes hash to ${digest}, the chain says ${adoption.digest}`, { transient: false });
    }
    let manifest: M & { role: Role; name: string };
    try {
      manifest = this.#p.parseManifest(bytes);
    } catch (error) {
      throw new AdoptionError("manifest_invalid", (error as Error).message, { transient: false, cause: error });
    }
    if (manifest.role !== adoption.role) {
      throw new AdoptionError("role_mismatch", `manifest is for role ${manifest.role}, adopted as ${adoption.role}`, { transient: false });
    }
    this.#p.onEvent?.({ type: "governance.verified", ...pick(adoption), name: manifest.name });
    return { manifest, bytes };
  }

  #setError(adoption: Adoption, error: AdoptionError, retrying: boolean): void {
    // Deleted first so that the map's last entry is the most recent error.
    this.#errors.delete(adoption.role);
    this.#errors.set(adoption.role, {
      role: adoption.role,
      version: adoption.version,
      cid: adoption.cid,
      code: error.code,
      message: error.message,
      time: new Date().toISOString(),
      retrying,
    });
  }

  #nextDelay(): number {
    const poll = this.#p.pollMs ?? 500;
    const soonestRetry = Math.min(...[...this.#retries.values()].map((r) => r.at), Number.POSITIVE_INFINITY) - Date.now();
    return Math.max(10, Math.min(poll, soonestRetry));
  }

  #log(line: string): void {
    this.#p.log?.(`governance: ${line}`);
  }
}

/** One adoption of one role: a new version of the same CID is another adoption. */
function keyOf(a: { role: Role; version: number; cid: string }): string {
  return `${a.role}:${a.version}:${a.cid}`;
}

function pick(a: Adoption): { role: Role; version: number; cid: string } {
  return { role: a.role, version: a.version, cid: a.cid };
}
