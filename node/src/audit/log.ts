/**
 * The append-only audit log: entries get gap-free sequence numbers from 0, are stored as their
 * canonical JSON bytes with their RFC 6962 leaf hash, chained by `prev`, and closed into Merkle
 * batches that the anchorer (anchorer.ts) anchors on chain.
 *
 * Appends are acknowledged only once they are on disk, so an acknowledged entry survives a crash or
 * a power cut. Entries that arrive together (in the same turn of the event loop) share one
 * transaction, and every transaction committed while an fsync runs shares the next one (group
 * commit). The fsync does not block the event loop: appends are committed with
 * `synchronous=NORMAL` (SQLite writes the WAL frames, no sync), then the WAL file is fdatasync'ed on
 * libuv's thread pool, and only then are the appends acknowledged. An fdatasync of the WAL flushes
 * every frame written before it began, whichever descriptor wrote them, so this is as durable as
 * `synchronous=FULL` while the server keeps parsing, tokenizing and embedding during the ~5 ms a
 * sync costs on a virtual disk. Measured on the 2-core build machine: a lone append took 5.5 ms
 * with synchronous=FULL and 1.5-2 ms this way; 32 concurrent /embed requests share a sync between
 * 16 of them (node/bench/api.ts, "answers a sync"). Batch and anchoring writes stay FULL.
 *
 * Several processes may open the same file (the server and `ns-llm audit anchor`): every write
 * reads the log's tail again under SQLite's write lock, so sequence numbers never collide.
 */
import { statSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Hex } from "viem";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { migrate, openDatabase } from "../db/index.ts";
import { NsLlmError } from "../errors.ts";
import type { AuditProof } from "@ns-llm/contracts";
import { canonicalBytes, canonicalJson } from "./canonical.ts";
import { ENTRY_TYPE, hex, ZERO_HASH, type AuditEntry, type AuditEntryInput } from "./entries.ts";
import { buildMerkleTree, leafHash, type MerkleTree } from "./merkle.ts";
import { AUDIT_MIGRATIONS } from "./schema.ts";

export type AuditLogErrorCode = "invalid_entry" | "not_found" | "not_batched" | "closed";

/** A failure a caller can act on; `code` says which (the HTTP routes map it to a status). */
export class AuditLogError extends NsLlmError<AuditLogErrorCode> {
  constructor(code: AuditLogErrorCode, message: string) {
    super(code, message, { transient: code === "not_batched" });
  }
}

export type AppendReturnType = { seq: number; leaf: Hex };

/** One stored entry, parsed. */
export type AuditRecord = { seq: number; leaf: Hex; entry: AuditEntry };

/** One stored row as it is on disk: what the verifier works from. */
export type AuditRow = { seq: number; entry: Uint8Array; leaf: Uint8Array };

/** Where and how a batch was anchored. */
export type BatchAnchor = {
  txHash: Hex;
  chainId: number;
  contract: Hex;
  node: Hex;
  blockNumber: number;
  gasUsed: number;
  feeWei: string;
  anchoredAt: string;
};

export type AuditBatch = {
  index: number;
  fromSeq: number;
  toSeq: number;
  size: number;
  root: Hex;
  closedAt: string;
  /** Null until anchored. */
  anchor: BatchAnchor | null;
  attempts: number;
  lastError: string | null;
};

/** An entry's inclusion proof in its batch, as `GET /api/audit/:seq/proof` serves it. */
/** An entry's RFC 6962 inclusion proof in its batch (the wire shape of GET /api/audit/:seq/proof). */
export type { AuditProof };

export type AuditLogStatus = {
  /** Entries in the log (the next seq). */
  entries: number;
  batches: number;
  /** The last seq inside a closed batch; null before the first batch. */
  batchedThrough: number | null;
  /** The last seq such that it and every entry before it are in anchored batches; null if none. */
  anchoredThrough: number | null;
  /** Closed batches not anchored yet. */
  pendingBatches: number;
  /** Entries after the last closed batch. */
  unbatched: number;
  /** Transactions committed by this process (a group commit counts once). */
  commits: number;
  /** WAL syncs made by this process (one covers every commit made while the previous one ran). */
  syncs: number;
  /** Gas used by every recorded anchoring. */
  gasSpent: number;
};

export type CloseBatchParameters = {
  /** At most this many entries in the batch (the rest wait for the next one). Default 10,000. */
  maxSize?: number;
  /**
   * Close nothing if every waiting entry is an anchor entry: each anchoring appends one, so a timer
   * closing batches of only those would anchor forever.
   */
  requireNonAnchor?: boolean;
};

export type OpenAuditLogParameters = {
  /** The database file, usually `<home>/audit.db`. */
  file: string;
  /** The most entries one transaction takes. Default 5,000. */
  maxGroup?: number;
};

type Pending = { input: AuditEntryInput; time: string; resolve: (r: AppendReturnType) => void; reject: (e: unknown) => void };
/** Committed to the WAL, waiting for the fdatasync that makes it durable before it is acknowledged. */
type Unsynced = { item: Pending; result: AppendReturnType };

type BatchRow = {
  idx: number;
  from_seq: number;
  to_seq: number;
  root: Uint8Array;
  closed_at: string;
  tx_hash: string | null;
  chain_id: number | null;
  contract: string | null;
  node: string | null;
  block_number: number | null;
  gas_used: number | null;
  fee_wei: string | null;
  anchored_at: string | null;
  attempts: number;
  last_error: string | null;
};

const RESERVED = ["seq", "prev"] as const;
const TREE_CACHE = 8;

/** Opens (creating it if needed) the audit log at `file`. */
export function openAuditLog(parameters: OpenAuditLogParameters): AuditLog {
  return new AuditLog(parameters);
}

export class AuditLog {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #maxGroup: number;
  readonly #queue: Pending[] = [];
  readonly #listeners = new Set<(size: number) => void>();
  readonly #trees = new Map<number, MerkleTree>();
  readonly #drained = new Set<() => void>();
  #scheduled = false;
  #closed = false;
  #commits = 0;
  #syncs = 0;
  /** True while appends commit without sync and the WAL is synced off the event loop (WAL mode, a file). */
  #deferSync: boolean;
  readonly #unsynced: Unsynced[] = [];
  #syncing = false;
  #wal: { handle: FileHandle; ino: number } | undefined;
  readonly #sql: {
    tail: StatementSync;
    insert: StatementSync;
    get: StatementSync;
    range: StatementSync;
    leaves: StatementSync;
    lastBatch: StatementSync;
    batch: StatementSync;
    batchContaining: StatementSync;
    batchStartingAt: StatementSync;
    batches: StatementSync;
    insertBatch: StatementSync;
    hasNonAnchor: StatementSync;
    firstUnanchored: StatementSync;
    pendingBatches: StatementSync;
    markAnchored: StatementSync;
    recordError: StatementSync;
    notAnchoredOn: StatementSync;
    gasSpent: StatementSync;
  };

  constructor(parameters: OpenAuditLogParameters) {
    this.file = parameters.file;
    this.#maxGroup = parameters.maxGroup ?? 5_000;
    this.#db = openDatabase(parameters.file);
    migrate(this.#db, AUDIT_MIGRATIONS);
    const mode = (this.#db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode;
    this.#deferSync = mode === "wal" && parameters.file !== ":memory:";
    const p = (sql: string) => this.#db.prepare(sql);
    this.#sql = {
      tail: p("SELECT seq, leaf FROM entries ORDER BY seq DESC LIMIT 1"),
      insert: p("INSERT INTO entries (seq, type, entry, leaf) VALUES (?, ?, ?, ?)"),
      get: p("SELECT seq, entry, leaf FROM entries WHERE seq = ?"),
      range: p("SELECT seq, entry, leaf FROM entries WHERE seq >= ? ORDER BY seq LIMIT ?"),
      leaves: p("SELECT leaf FROM entries WHERE seq BETWEEN ? AND ? ORDER BY seq"),
      lastBatch: p("SELECT * FROM batches ORDER BY idx DESC LIMIT 1"),
      batch: p("SELECT * FROM batches WHERE idx = ?"),
      batchContaining: p("SELECT * FROM batches WHERE from_seq <= ? ORDER BY from_seq DESC LIMIT 1"),
      batchStartingAt: p("SELECT * FROM batches WHERE from_seq = ?"),
      batches: p("SELECT * FROM batches WHERE idx >= ? ORDER BY idx LIMIT ?"),
      insertBatch: p("INSERT INTO batches (idx, from_seq, to_seq, root, closed_at) VALUES (?, ?, ?, ?, ?)"),
      hasNonAnchor: p("SELECT 1 AS x FROM entries WHERE seq BETWEEN ? AND ? AND type != 'anchor' LIMIT 1"),
      firstUnanchored: p("SELECT MIN(idx) AS idx FROM batches WHERE tx_hash IS NULL"),
      pendingBatches: p("SELECT COUNT(*) AS n FROM batches WHERE tx_hash IS NULL"),
      markAnchored: p(
        `UPDATE batches SET tx_hash = ?, chain_id = ?, contract = ?, node = ?, block_number = ?, gas_used = ?, fee_wei = ?,
           anchored_at = ?, last_error = NULL WHERE idx = ? AND (tx_hash IS NULL OR tx_hash != ?)`,
      ),
      recordError: p("UPDATE batches SET attempts = attempts + 1, last_error = ? WHERE idx = ?"),
      notAnchoredOn: p("SELECT * FROM batches WHERE tx_hash IS NULL OR chain_id IS NOT ? OR contract IS NOT ? ORDER BY idx"),
      gasSpent: p("SELECT COALESCE(SUM(gas_used), 0) AS gas FROM batches"),
    };
  }

  /**
   * Appends `entry` and resolves with its sequence number and leaf hash once the entry is durably
   * committed. Rejects with an AuditLogError("invalid_entry") for an entry JSON cannot carry
   * faithfully, a malformed `type`, or a field the log reserves (`seq`, `prev`).
   */
  append(entry: AuditEntryInput): Promise<AppendReturnType> {
    if (this.#closed) return Promise.reject(new AuditLogError("closed", "the audit log is closed"));
    let input: AuditEntryInput;
    try {
      // A copy, checked now: the caller's object may change before the commit, this one will not.
      input = checkInput(entry);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, time: new Date().toISOString(), resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once every append made so far is committed (or failed). */
  flush(): Promise<void> {
    if (this.#idle()) return Promise.resolve();
    return new Promise((resolve) => this.#drained.add(resolve));
  }

  /** Calls `listener` with the log's size after every commit; returns the unsubscribe function. */
  onAppend(listener: (size: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The entry at `seq`, or undefined. */
  get(seq: number): AuditRecord | undefined {
    const row = this.#sql.get.get(seq) as AuditRow | undefined;
    return row && toRecord(row);
  }

  /** Up to `limit` entries from `from` on, in order. */
  entries(from: number, limit: number): AuditRecord[] {
    return (this.#sql.range.all(from, limit) as AuditRow[]).map(toRecord);
  }

  /** Every stored row from `from` on, as bytes, without trusting anything in them. */
  *rows(from = 0, chunk = 1_000): Generator<AuditRow> {
    for (let next = from; ; ) {
      const rows = this.#sql.range.all(next, chunk) as AuditRow[];
      yield* rows;
      if (rows.length < chunk) return;
      next = rows[rows.length - 1]!.seq + 1;
    }
  }

  /** The number of entries: the seq the next one gets. */
  get size(): number {
    const tail = this.#sql.tail.get() as { seq: number } | undefined;
    return tail ? tail.seq + 1 : 0;
  }

  /**
   * Closes the entries after the last batch (at most `maxSize` of them) into a new batch: computes
   * its Merkle root from their leaf hashes and stores it. Returns the batch, or undefined when
   * nothing waits (or only anchor entries do, with `requireNonAnchor`).
   */
  closeBatch(parameters: CloseBatchParameters = {}): AuditBatch | undefined {
    const { maxSize = 10_000, requireNonAnchor = false } = parameters;
    return this.#transaction("FULL", () => {
      const last = this.#sql.lastBatch.get() as BatchRow | undefined;
      const fromSeq = last ? last.to_seq + 1 : 0;
      const size = this.size;
      if (size <= fromSeq) return undefined;
      const toSeq = Math.min(size - 1, fromSeq + maxSize - 1);
      if (requireNonAnchor && !this.#sql.hasNonAnchor.get(fromSeq, toSeq)) return undefined;
      const leaves = (this.#sql.leaves.all(fromSeq, toSeq) as { leaf: Uint8Array }[]).map((r) => r.leaf);
      if (leaves.length !== toSeq - fromSeq + 1) {
        throw new Error(`the audit log misses entries between seq ${fromSeq} and ${toSeq}; run ns-llm audit verify`);
      }
      const index = last ? last.idx + 1 : 0;
      const tree = buildMerkleTree(leaves);
      this.#sql.insertBatch.run(index, fromSeq, toSeq, tree.root, new Date().toISOString());
      this.#cacheTree(index, tree);
      return toBatch(this.#sql.batch.get(index) as BatchRow);
    });
  }

  /** Batch number `index`, or undefined. */
  batch(index: number): AuditBatch | undefined {
    const row = this.#sql.batch.get(index) as BatchRow | undefined;
    return row && toBatch(row);
  }

  /** The batch holding `seq`, or undefined when `seq` is not in a closed batch yet. */
  batchContaining(seq: number): AuditBatch | undefined {
    const row = this.#sql.batchContaining.get(seq) as BatchRow | undefined;
    return row && row.to_seq >= seq ? toBatch(row) : undefined;
  }

  /** The batch whose first entry is `seq`, or undefined. */
  batchStartingAt(seq: number): AuditBatch | undefined {
    const row = this.#sql.batchStartingAt.get(seq) as BatchRow | undefined;
    return row && toBatch(row);
  }

  /** Up to `limit` batches from number `from` on, in order. */
  batches(from = 0, limit = Number.MAX_SAFE_INTEGER): AuditBatch[] {
    return (this.#sql.batches.all(from, limit) as BatchRow[]).map(toBatch);
  }

  /** The last closed batch, or undefined. */
  lastBatch(): AuditBatch | undefined {
    const row = this.#sql.lastBatch.get() as BatchRow | undefined;
    return row && toBatch(row);
  }

  /** Records where batch `index` was anchored. False when it was already recorded with this transaction. */
  markAnchored(index: number, anchor: BatchAnchor): boolean {
    const { changes } = this.#sql.markAnchored.run(
      anchor.txHash,
      anchor.chainId,
      anchor.contract,
      anchor.node,
      anchor.blockNumber,
      anchor.gasUsed,
      anchor.feeWei,
      anchor.anchoredAt,
      index,
      anchor.txHash,
    );
    return Number(changes) > 0;
  }

  /** The batches not recorded as anchored in `contract` on chain `chainId`, in order. */
  batchesNotAnchoredOn(chainId: number, contract: Hex): AuditBatch[] {
    return (this.#sql.notAnchoredOn.all(chainId, contract) as BatchRow[]).map(toBatch);
  }

  /** Counts a failed attempt to anchor batch `index`. */
  recordAnchorError(index: number, message: string): void {
    this.#sql.recordError.run(message, index);
  }

  /**
   * The inclusion proof of entry `seq` in its batch. Throws AuditLogError "not_found" for a seq the
   * log does not have, "not_batched" while its batch is not closed yet.
   */
  proof(seq: number): AuditProof {
    const row = this.#sql.get.get(seq) as AuditRow | undefined;
    if (!row) throw new AuditLogError("not_found", `the audit log has no entry ${seq} (it has ${this.size})`);
    const batch = this.batchContaining(seq);
    if (!batch) {
      throw new AuditLogError("not_batched", `entry ${seq} is not in a closed batch yet; its proof exists once the batch closes`);
    }
    const tree = this.#tree(batch);
    return {
      seq,
      leaf: hex(row.leaf),
      entry: new TextDecoder().decode(row.entry),
      root: batch.root,
      batch: {
        index: batch.index,
        fromSeq: batch.fromSeq,
        toSeq: batch.toSeq,
        size: batch.size,
        txHash: batch.anchor?.txHash ?? null,
        chainId: batch.anchor?.chainId ?? null,
        contract: batch.anchor?.contract ?? null,
        node: batch.anchor?.node ?? null,
      },
      index: seq - batch.fromSeq,
      proof: tree.auditPath(seq - batch.fromSeq).map(hex),
    };
  }

  /** Counts for /health and /metrics. */
  status(): AuditLogStatus {
    const entries = this.size;
    const last = this.#sql.lastBatch.get() as BatchRow | undefined;
    const first = (this.#sql.firstUnanchored.get() as { idx: number | null }).idx;
    let anchoredThrough: number | null = null;
    if (last && first === null) anchoredThrough = last.to_seq;
    else if (first !== null && first > 0) anchoredThrough = (this.#sql.batch.get(first - 1) as BatchRow).to_seq;
    const batchedThrough = last ? last.to_seq : null;
    return {
      entries,
      batches: last ? last.idx + 1 : 0,
      batchedThrough,
      anchoredThrough,
      pendingBatches: (this.#sql.pendingBatches.get() as { n: number }).n,
      unbatched: entries - (batchedThrough === null ? 0 : batchedThrough + 1),
      commits: this.#commits,
      syncs: this.#syncs,
      gasSpent: (this.#sql.gasSpent.get() as { gas: number }).gas,
    };
  }

  /** Commits what is queued, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    await this.#wal?.handle.close().catch(() => {});
    this.#wal = undefined;
    this.#db.close();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: appends made by everything that runs in this turn of the
    // event loop (other requests, other awaiting appenders) join the same transaction.
    setImmediate(() => this.#commit());
  }

  #commit(): void {
    this.#scheduled = false;
    const group = this.#queue.splice(0, this.#maxGroup);
    if (group.length > 0) {
      let results: AppendReturnType[] | undefined;
      try {
        results = this.#transaction(this.#deferSync ? "NORMAL" : "FULL", () => {
          const tail = this.#sql.tail.get() as { seq: number; leaf: Uint8Array } | undefined;
          let seq = tail ? tail.seq + 1 : 0;
          let prev = tail ? hex(tail.leaf) : ZERO_HASH;
          return group.map(({ input, time }) => {
            const entry = { ...input, seq, prev, time: typeof input.time === "string" ? input.time : time };
            const bytes = canonicalBytes(entry);
            const leaf = leafHash(bytes);
            this.#sql.insert.run(seq, entry.type, bytes, leaf);
            const result = { seq, leaf: hex(leaf) };
            prev = result.leaf;
            seq += 1;
            return result;
          });
        });
        this.#commits += 1;
      } catch (error) {
        for (const item of group) item.reject(error);
      }
      if (results) {
        const done = group.map((item, i) => ({ item, result: results[i]! }));
        if (this.#deferSync) {
          this.#unsynced.push(...done);
          void this.#sync();
        } else {
          this.#syncs += 1; // COMMIT itself synced (synchronous=FULL)
          this.#acknowledge(done);
        }
      }
    }
    if (this.#queue.length > 0) this.#schedule();
    else this.#drainIfIdle();
  }

  /**
   * fdatasyncs the WAL for every append committed so far, then acknowledges them; appends committed
   * while it runs wait for the next one (one sync for all of them).
   */
  async #sync(): Promise<void> {
    if (this.#syncing) return;
    this.#syncing = true;
    while (this.#unsynced.length > 0) {
      const batch = this.#unsynced.splice(0);
      try {
        await (await this.#walHandle()).datasync();
        this.#syncs += 1;
      } catch (error) {
        // Unacknowledged, as after a crash between commit and sync; from now on every commit
        // syncs itself (after a failed fsync the kernel may already have dropped the dirty pages).
        this.#deferSync = false;
        for (const { item } of batch) item.reject(error);
        continue;
      }
      this.#acknowledge(batch);
    }
    this.#syncing = false;
    this.#drainIfIdle();
  }

  /** The WAL file, opened again if SQLite replaced it (another process may have reset it). */
  async #walHandle(): Promise<FileHandle> {
    const file = `${this.file}-wal`;
    const { ino } = statSync(file);
    if (this.#wal?.ino === ino) return this.#wal.handle;
    await this.#wal?.handle.close().catch(() => {});
    this.#wal = { handle: await open(file, "r+"), ino };
    // A new WAL's directory entry must be durable too.
    const dir = await open(path.dirname(path.resolve(file)), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return this.#wal.handle;
  }

  #acknowledge(done: Unsynced[]): void {
    if (done.length === 0) return;
    for (const { item, result } of done) item.resolve(result);
    const size = done[done.length - 1]!.result.seq + 1;
    for (const listener of this.#listeners) {
      try {
        listener(size);
      } catch {
        // A listener's failure is its own business; the entries are committed.
      }
    }
  }

  #idle(): boolean {
    return this.#queue.length === 0 && !this.#scheduled && this.#unsynced.length === 0 && !this.#syncing;
  }

  #drainIfIdle(): void {
    if (!this.#idle()) return;
    for (const resolve of this.#drained) resolve();
    this.#drained.clear();
  }

  /**
   * Runs `body` in a write transaction (BEGIN IMMEDIATE: takes the write lock at once), committed
   * with `synchronous` (FULL: fsync'ed before COMMIT returns; NORMAL: the caller syncs the WAL).
   */
  #transaction<T>(synchronous: "FULL" | "NORMAL", body: () => T): T {
    if (synchronous !== "FULL") this.#db.exec(`PRAGMA synchronous = ${synchronous}`);
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = body();
        this.#db.exec("COMMIT");
        return result;
      } catch (error) {
        try {
          this.#db.exec("ROLLBACK");
        } catch {
          // SQLite may have rolled back already (e.g. on a full disk); the original error matters.
        }
        throw error;
      }
    } finally {
      if (synchronous !== "FULL") this.#db.exec("PRAGMA synchronous = FULL");
    }
  }

  #tree(batch: AuditBatch): MerkleTree {
    const cached = this.#trees.get(batch.index);
    if (cached) return cached;
    const leaves = (this.#sql.leaves.all(batch.fromSeq, batch.toSeq) as { leaf: Uint8Array }[]).map((r) => r.leaf);
    if (leaves.length !== batch.size) throw new Error(`batch ${batch.index} misses entries; run ns-llm audit verify`);
    const tree = buildMerkleTree(leaves);
    this.#cacheTree(batch.index, tree);
    return tree;
  }

  #cacheTree(index: number, tree: MerkleTree): void {
    this.#trees.set(index, tree);
    if (this.#trees.size > TREE_CACHE) this.#trees.delete(this.#trees.keys().next().value!);
  }
}

function checkInput(entry: AuditEntryInput): AuditEntryInput {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new AuditLogError("invalid_entry", "an audit entry must be an object with a type");
  }
  if (typeof entry.type !== "string" || !ENTRY_TYPE.test(entry.type)) {
    throw new AuditLogError("invalid_entry", `an audit entry's type must match ${ENTRY_TYPE}, got ${JSON.stringify(entry.type)}`);
  }
  for (const key of RESERVED) {
    if (key in entry) throw new AuditLogError("invalid_entry", `"${key}" is set by the audit log, not by the caller`);
  }
  if (entry.time !== undefined && typeof entry.time !== "string") {
    throw new AuditLogError("invalid_entry", "an audit entry's time must be an ISO 8601 string");
  }
  try {
    return JSON.parse(canonicalJson(entry)) as AuditEntryInput;
  } catch (error) {
    throw new AuditLogError("invalid_entry", `the audit entry cannot be stored: ${(error as Error).message}`);
  }
}

function toRecord(row: AuditRow): AuditRecord {
  return { seq: row.seq, leaf: hex(row.leaf), entry: JSON.parse(new TextDecoder().decode(row.entry)) as AuditEntry };
}

function toBatch(row: BatchRow): AuditBatch {
  return {
    index: row.idx,
    fromSeq: row.from_seq,
    toSeq: row.to_seq,
    size: row.to_seq - row.from_seq + 1,
    root: hex(row.root),
    closedAt: row.closed_at,
    anchor:
      row.tx_hash === null
        ? null
        : {
            txHash: row.tx_hash as Hex,
            chainId: row.chain_id!,
            contract: row.contract as Hex,
            node: row.node as Hex,
            blockNumber: row.block_number!,
            gasUsed: row.gas_used!,
            feeWei: row.fee_wei ?? "0",
            anchoredAt: row.anchored_at!,
          },
    attempts: row.attempts,
    lastError: row.last_error,
  };
}
