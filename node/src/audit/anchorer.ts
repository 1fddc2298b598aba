/**
 * Closes the audit log's entries into batches (every `batchSize` entries or `batchIntervalMs`) and
 * anchors each batch's root in AuditAnchor with the operator's key, in order, off the append path:
 * appends never wait for the chain. While an anchoring is in flight (or waits for its retry),
 * closing waits too, so a busy log makes fewer, larger batches: the gas per entry falls as the load
 * rises. A failed anchoring is retried with exponential backoff; the
 * chain itself says where to resume (`nextSeq(node)`), so a crash between sending and recording, a
 * second process or a restarted dev chain are all handled the same way.
 *
 * Each anchoring is itself logged (an entry of type "anchor"). Those entries ride in later batches,
 * and the timer never closes a batch holding nothing else, so anchoring cannot feed on itself.
 */
import { auditAnchorAbi } from "@ns-llm/contracts";
import type { Address } from "viem";
import type { AnchorTarget } from "./chain.ts";
import type { AnchorEntry } from "./entries.ts";
import type { AuditBatch, AuditLog, AuditLogStatus, BatchAnchor } from "./log.ts";

export type AuditAnchorerParameters = {
  log: AuditLog;
  /** Close a batch as soon as this many entries wait. Default 100. */
  batchSize?: number;
  /** Close whatever waits after this long (ms). Default 30,000. */
  batchIntervalMs?: number;
  /** The most entries in one batch. Default 10,000. */
  maxBatchSize?: number;
  /**
   * Connects to the chain, called at the first anchoring (never at start: the node comes up without
   * the chain) and again after a failure. Absent: anchoring is disabled, batches still close.
   */
  connect?: () => Promise<AnchorTarget>;
  /** Why anchoring is disabled, for status() (when `connect` is absent). */
  disabledReason?: string;
  /** Backoff after a failed anchoring: starts at `initialMs`, doubles, stops growing at `maxMs`. */
  retry?: { initialMs?: number; maxMs?: number };
  /** How long to wait for an anchor's receipt. Default 120 s. */
  receiptTimeoutMs?: number;
  /** Called on each anchored batch and each failure (for logs). */
  onEvent?: (event: AnchorerEvent) => void;
};

export type AnchorerEvent =
  | { type: "anchored"; batch: AuditBatch; anchor: BatchAnchor }
  | { type: "failed"; error: string; retryInMs: number };

export type AuditStatus = AuditLogStatus & {
  anchoring: "enabled" | "disabled";
  /** Why anchoring is disabled; null when enabled. */
  disabledReason: string | null;
  /** Failed anchoring attempts since this process started. */
  anchorFailures: number;
  lastError: string | null;
  /** When the next attempt after a failure runs; null when none is waiting. */
  nextRetryAt: string | null;
  chainId: number | null;
  contract: Address | null;
  node: Address | null;
};

export type AnchorNowReturnType = {
  /** The batch closed now, if any entries were waiting. */
  closed: AuditBatch | undefined;
  /** The batches anchored now, in order. */
  anchored: AuditBatch[];
};

export class AuditAnchorer {
  readonly #log: AuditLog;
  #batchSize: number;
  #intervalMs: number;
  readonly #maxBatchSize: number;
  readonly #connect: (() => Promise<AnchorTarget>) | undefined;
  readonly #disabledReason: string | null;
  readonly #initialRetryMs: number;
  readonly #maxRetryMs: number;
  readonly #receiptTimeoutMs: number;
  readonly #onEvent: (event: AnchorerEvent) => void;
  #target: AnchorTarget | undefined;
  #lock: Promise<unknown> = Promise.resolve();
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #nextRetryAt: number | null = null;
  #streak = 0;
  #failures = 0;
  #lastError: string | null = null;
  #unsubscribe: (() => void) | undefined;
  #stopped = false;

  constructor(parameters: AuditAnchorerParameters) {
    this.#log = parameters.log;
    this.#batchSize = parameters.batchSize ?? 100;
    this.#intervalMs = parameters.batchIntervalMs ?? 30_000;
    this.#maxBatchSize = parameters.maxBatchSize ?? 10_000;
    this.#connect = parameters.connect;
    this.#disabledReason = parameters.connect ? null : (parameters.disabledReason ?? "no operator key (NS_LLM_OPERATOR_KEY)");
    this.#initialRetryMs = parameters.retry?.initialMs ?? 1_000;
    this.#maxRetryMs = parameters.retry?.maxMs ?? 300_000;
    this.#receiptTimeoutMs = parameters.receiptTimeoutMs ?? 120_000;
    this.#onEvent = parameters.onEvent ?? (() => {});
    if (this.#batchSize < 1 || this.#maxBatchSize < this.#batchSize) throw new RangeError("batchSize must be >= 1 and <= maxBatchSize");
  }

  /** Starts closing batches on size and time, and anchoring them; anchors what an earlier run left. */
  start(): this {
    if (this.#unsubscribe) return this;
    this.#stopped = false;
    this.#unsubscribe = this.#log.onAppend((size) => this.#onAppend(size));
    this.#timer = setInterval(() => this.#onTimer(), this.#intervalMs);
    this.#timer.unref();
    this.#closeFull();
    if (this.#log.status().pendingBatches > 0) this.#kick();
    return this;
  }

  /**
   * Changes when batches close (a `parameters` manifest may govern it): every `batchSize` entries
   * or `batchIntervalMs`. Entries already waiting are batched at once if they reach the new size.
   */
  configure(settings: { batchSize?: number; batchIntervalMs?: number }): void {
    const batchSize = settings.batchSize ?? this.#batchSize;
    const intervalMs = settings.batchIntervalMs ?? this.#intervalMs;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > this.#maxBatchSize) throw new RangeError(`batchSize must be 1..${this.#maxBatchSize}`);
    if (!(intervalMs > 0)) throw new RangeError("batchIntervalMs must be positive");
    this.#batchSize = batchSize;
    if (intervalMs !== this.#intervalMs) {
      this.#intervalMs = intervalMs;
      if (this.#unsubscribe) {
        clearInterval(this.#timer);
        this.#timer = setInterval(() => this.#onTimer(), this.#intervalMs);
        this.#timer.unref();
      }
    }
    if (this.#unsubscribe) this.#closeFull();
  }

  /** Stops the timers and waits for an anchoring in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearInterval(this.#timer);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#nextRetryAt = null;
    await this.#lock.catch(() => {});
  }

  /** The log's counts plus the anchoring's state: for /health and /metrics. */
  status(): AuditStatus {
    return {
      ...this.#log.status(),
      anchoring: this.#connect ? "enabled" : "disabled",
      disabledReason: this.#disabledReason,
      anchorFailures: this.#failures,
      lastError: this.#lastError,
      nextRetryAt: this.#nextRetryAt === null ? null : new Date(this.#nextRetryAt).toISOString(),
      chainId: this.#target?.chainId ?? null,
      contract: this.#target?.address ?? null,
      node: this.#target?.node ?? null,
    };
  }

  /**
   * Closes whatever entries wait into a batch (anchor entries included) and anchors every batch not
   * on chain yet, now. Throws what went wrong (`ns-llm audit anchor`).
   */
  async anchorNow(): Promise<AnchorNowReturnType> {
    if (!this.#connect) throw new Error(`anchoring is disabled: ${this.#disabledReason}`);
    await this.#log.flush();
    let closed: AuditBatch | undefined;
    for (let batch; (batch = this.#log.closeBatch({ maxSize: this.#maxBatchSize })); ) closed = batch;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#nextRetryAt = null;
    const anchored = await this.#exclusive(() => this.#anchorAll());
    return { closed, anchored };
  }

  /**
   * True while an anchoring is in flight or waits to be retried. Closing is then put off: what
   * arrives meanwhile goes into one batch closed afterwards, so a slow or unreachable chain gets
   * fewer, larger batches (one transaction each) instead of a backlog of small ones.
   */
  #busy(): boolean {
    return this.#connect !== undefined && (this.#running || this.#retryTimer !== undefined);
  }

  #onAppend(size: number): void {
    if (this.#busy()) return;
    const last = this.#log.lastBatch();
    if (size - (last ? last.toSeq + 1 : 0) >= this.#batchSize) {
      this.#closeFull();
      this.#kick();
    }
  }

  #onTimer(): void {
    if (this.#busy()) return;
    try {
      while (this.#log.closeBatch({ maxSize: this.#maxBatchSize, requireNonAnchor: true }));
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (this.#log.status().pendingBatches > 0) this.#kick();
  }

  /** Closes batches (of up to maxBatchSize) while at least `batchSize` entries wait; true if any closed. */
  #closeFull(): boolean {
    let closed = false;
    try {
      for (;;) {
        const last = this.#log.lastBatch();
        if (this.#log.size - (last ? last.toSeq + 1 : 0) < this.#batchSize) return closed;
        if (!this.#log.closeBatch({ maxSize: this.#maxBatchSize })) return closed;
        closed = true;
      }
    } catch (error) {
      this.#fail(error);
      return closed;
    }
  }

  /** Starts an anchoring in the background unless one runs or a retry is waiting. */
  #kick(): void {
    if (!this.#connect || this.#running || this.#retryTimer || this.#stopped) return;
    this.#running = true;
    void this.#exclusive(() => this.#anchorAll())
      .then(
        () => {
          this.#streak = 0;
          this.#running = false;
          // What waited during the anchoring: close it now and anchor it next.
          if (this.#unsubscribe && this.#closeFull()) this.#kick();
        },
        (error) => {
          this.#running = false;
          this.#fail(error);
        },
      );
  }

  #fail(error: unknown): void {
    this.#failures += 1;
    this.#streak += 1;
    this.#lastError = messageOf(error);
    this.#target = undefined; // reconnect next time: the chain or its deployment may have changed
    const delay = Math.min(this.#initialRetryMs * 2 ** (this.#streak - 1), this.#maxRetryMs);
    this.#onEvent({ type: "failed", error: this.#lastError, retryInMs: delay });
    if (this.#stopped || !this.#connect) return;
    clearTimeout(this.#retryTimer);
    this.#nextRetryAt = Date.now() + delay;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#nextRetryAt = null;
      this.#kick();
    }, delay);
    this.#retryTimer.unref();
  }

  /** Runs `task` after every task started before it: one anchoring at a time. */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#lock.catch(() => {}).then(task);
    this.#lock = run;
    return run;
  }

  /** Anchors every closed batch the chain does not hold yet, in order. */
  async #anchorAll(): Promise<AuditBatch[]> {
    const target = (this.#target ??= await this.#connect!());
    const { publicClient, walletClient, address, chainId } = target;
    if (!walletClient || !target.node) throw new Error("no operator key to sign anchors with (set NS_LLM_OPERATOR_KEY)");
    const node = target.node;
    let next = Number(await publicClient.readContract({ address, abi: auditAnchorAbi, functionName: "nextSeq", args: [node] }));

    // Batches the chain already holds but this log has not recorded on this chain: an anchoring
    // whose process died before recording it, or one made by another process on the same log.
    for (const batch of this.#log.batchesNotAnchoredOn(chainId, address)) {
      if (batch.toSeq >= next) break;
      await this.#adopt(target, batch);
    }

    const anchored: AuditBatch[] = [];
    for (;;) {
      const batch = this.#log.batchStartingAt(next);
      if (!batch) {
        const last = this.#log.lastBatch();
        if (!last || next > last.toSeq) return anchored;
        throw new Error(
          `the chain expects this operator's next batch to start at seq ${next}, where no batch of this log starts (does another log anchor with the same key?)`,
        );
      }
      try {
        anchored.push(await this.#send(target, batch));
      } catch (error) {
        this.#log.recordAnchorError(batch.index, messageOf(error));
        throw error;
      }
      next = batch.toSeq + 1;
    }
  }

  async #send(target: AnchorTarget, batch: AuditBatch): Promise<AuditBatch> {
    const { publicClient, walletClient, address, chainId } = target;
    const node = target.node!;
    const { request } = await publicClient.simulateContract({
      address,
      abi: auditAnchorAbi,
      functionName: "anchor",
      args: [batch.root, BigInt(batch.fromSeq), BigInt(batch.toSeq)],
      account: walletClient!.account,
    });
    const hash = await walletClient!.writeContract(request);
    const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: this.#receiptTimeoutMs });
    if (receipt.status !== "success") throw new Error(`anchoring batch ${batch.index} reverted in ${hash}`);
    const anchor: BatchAnchor = {
      txHash: hash,
      chainId,
      contract: address,
      node,
      blockNumber: Number(receipt.blockNumber),
      gasUsed: Number(receipt.gasUsed),
      feeWei: (receipt.gasUsed * (receipt.effectiveGasPrice ?? 0n)).toString(),
      anchoredAt: new Date().toISOString(),
    };
    return this.#record(batch, anchor);
  }

  /** Records a batch found on chain (after checking it is this one) with its transaction. */
  async #adopt(target: AnchorTarget, batch: AuditBatch): Promise<void> {
    const { publicClient, address, chainId } = target;
    const node = target.node!;
    const [root, fromSeq, toSeq, anchoredAt] = await publicClient.readContract({
      address,
      abi: auditAnchorAbi,
      functionName: "batchOf",
      args: [node, BigInt(batch.index)],
    });
    if (root.toLowerCase() !== batch.root || Number(fromSeq) !== batch.fromSeq || Number(toSeq) !== batch.toSeq) {
      throw new Error(
        `batch ${batch.index} on chain (seq ${fromSeq}..${toSeq}, root ${root}) is not this log's (seq ${batch.fromSeq}..${batch.toSeq}, root ${batch.root}); run ns-llm audit verify`,
      );
    }
    const [event] = await publicClient.getContractEvents({
      address,
      abi: auditAnchorAbi,
      eventName: "Anchored",
      args: { node, index: BigInt(batch.index) },
      fromBlock: target.startBlock,
      strict: true,
    });
    if (!event) throw new Error(`batch ${batch.index} is on chain but its Anchored event was not found`);
    const receipt = await publicClient.getTransactionReceipt({ hash: event.transactionHash });
    this.#record(batch, {
      txHash: event.transactionHash,
      chainId,
      contract: address,
      node,
      blockNumber: Number(event.blockNumber),
      gasUsed: Number(receipt.gasUsed),
      feeWei: (receipt.gasUsed * (receipt.effectiveGasPrice ?? 0n)).toString(),
      anchoredAt: new Date(Number(anchoredAt) * 1000).toISOString(),
    });
  }

  /** Stores the anchor and, the first time, logs it as an entry of its own. */
  #record(batch: AuditBatch, anchor: BatchAnchor): AuditBatch {
    if (this.#log.markAnchored(batch.index, anchor)) {
      const entry: AnchorEntry = {
        type: "anchor",
        batch: batch.index,
        fromSeq: batch.fromSeq,
        toSeq: batch.toSeq,
        root: batch.root,
        txHash: anchor.txHash,
        chainId: anchor.chainId,
        contract: anchor.contract,
        node: anchor.node,
        blockNumber: anchor.blockNumber,
      };
      // Not awaited: the anchor is recorded in the batch row already; the entry commits with the
      // next group, and a crash before that loses only this echo of it.
      this.#log.append(entry).catch(() => {});
      this.#streak = 0;
      this.#lastError = null;
      this.#onEvent({ type: "anchored", batch, anchor });
    }
    return { ...batch, anchor };
  }
}

function messageOf(error: unknown): string {
  const e = error as { shortMessage?: string; message?: string };
  return (e?.shortMessage ?? e?.message ?? String(error)).split("\n")[0]!;
}
