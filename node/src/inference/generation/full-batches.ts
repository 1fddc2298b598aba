/**
 * Keeps the sequences that generate together in the same decode batches.
 *
 * node-llama-cpp decodes a batch of every sequence's next token, then samples each sequence's
 * token (on worker threads, one per sequence) and, once all are sampled, loops: the next batch
 * takes whatever is queued at that moment. A sequence whose token was sampled early has queued
 * its next token by then; one sampled last is still a few dozen promise jobs away from queuing
 * (its generator, LlamaCompletion's loop, the sequence's lock) and misses the batch. It goes in
 * the one after, alone or with others, and the split repeats: with 4 sequences, batches of 3
 * and one sequence a batch behind, so every token costs a decode of its own now and then
 * (measured: 14 batches of 3 instead of 11 of 4 for 4 x 12 tokens).
 *
 * This is the context's `batching.itemPrioritizationStrategy`: while fewer next-token steps are
 * queued than sequences are generating, it returns an empty batch, which node-llama-cpp's loop
 * answers by looking again (promise jobs only, no decode), so the late sequences queue theirs
 * and the batch goes with all of them. A sequence that does not come (it ended, or waits for
 * the context's lock) is waited for at most MAX_WAITS looks (well under a millisecond), then the
 * batch goes without it. What goes in a batch is as node-llama-cpp's default strategy
 * ("maximumParallelism") decides: an even share of the batch for each queued item.
 *
 * And it puts the batch's items in the order of their sequences' ids. node-llama-cpp's contexts
 * keep a KV cache stream per sequence (kv_unified off), and llama.cpp then splits a batch into
 * micro-batches ("ubatches") that each hold a run of consecutive, increasing sequence ids, in the
 * batch's order (llama_batch_allocr::split_equal, "accept only increasing sequence ids"); each
 * ubatch is a pass over all the weights. node-llama-cpp adds the items in the order they were
 * queued (the order their last tokens were sampled), so a batch of 8 next tokens went as 3 to 8
 * ubatches and cost almost as much as 8 decodes of one token (measured on a TinyLlama-shaped
 * model, one thread: 212 ms for 7 tokens, against 113 ms for 8 in llama.cpp's batched-bench with
 * the same binaries). Sorted, it is one ubatch when the sequences' ids are consecutive (the engine
 * gives requests the lowest free sequence among equals, for that).
 */
import type { BatchItem, LlamaContextOptions, PrioritizedBatchItem } from "node-llama-cpp";

type Strategy = Exclude<NonNullable<NonNullable<LlamaContextOptions["batching"]>["itemPrioritizationStrategy"]>, string>;

/** Looks at the queue before a batch goes without a missing sequence. */
const MAX_WAITS = 100;

/** What node-llama-cpp queued, in the order the strategy gets the items (its context's `_queuedDecodes`: internal). */
export type QueuedDecodes = () => ReadonlyArray<{ sequenceId: number; tokens: unknown }> | undefined;

export class FullBatches {
  #queued: QueuedDecodes | undefined;
  /** Requests in their token loop (they queue one next token per batch). */
  #generating = new Set<object>();
  #waits = 0;
  #batches = 0;
  #steps = 0;
  #passes = 0;

  /**
   * Since the start: batches dispatched, next-token steps in them (steps / batches: how well
   * requests share batches), and the passes over the weights llama.cpp makes for them (one per
   * run of consecutive sequence ids in a batch; passes / batches above 1: batches split).
   */
  get stats(): { batches: number; steps: number; passes: number } {
    return { batches: this.#batches, steps: this.#steps, passes: this.#passes };
  }

  /** Lets the strategy order a batch's items by sequence id (without it, the queue's order is kept). */
  readSequencesFrom(queued: QueuedDecodes): void {
    this.#queued = queued;
  }

  /** Marks `request` as generating: batches wait for its next token until `stopped(request)`. */
  generating(request: object): void {
    this.#generating.add(request);
  }

  stopped(request: object): void {
    this.#generating.delete(request);
  }

  readonly strategy: Strategy = ({ items, size }) => {
    const steps = items.reduce((n, item) => n + (item.tokens.length === 1 ? 1 : 0), 0);
    if (steps < this.#generating.size && this.#waits < MAX_WAITS) {
      this.#waits++;
      return [];
    }
    this.#waits = 0;
    this.#batches++;
    this.#steps += steps;
    return this.#bySequence(items, evenShares(items, size));
  };

  /**
   * The entries in their sequences' order. The strategy's items are made from node-llama-cpp's
   * queue, one per queued decode in its order, sharing its `tokens` array: that is checked, and
   * when it does not hold (another node-llama-cpp) the order is left as it is.
   */
  #bySequence(items: readonly BatchItem[], entries: PrioritizedBatchItem[]): PrioritizedBatchItem[] {
    const queued = this.#queued?.();
    this.#passes++;
    if (!queued || queued.length !== items.length || entries.length < 2) return entries;
    const sequenceOf = new Map<BatchItem, number>();
    for (let i = 0; i < items.length; i++) {
      if (queued[i]!.tokens !== items[i]!.tokens || typeof queued[i]!.sequenceId !== "number") return entries;
      sequenceOf.set(items[i]!, queued[i]!.sequenceId);
    }
    entries.sort((a, b) => sequenceOf.get(a.item)! - sequenceOf.get(b.item)!);
    for (let i = 1; i < entries.length; i++) if (sequenceOf.get(entries[i]!.item)! !== sequenceOf.get(entries[i - 1]!.item)! + 1) this.#passes++;
    return entries;
  }
}

/** node-llama-cpp's "maximumParallelism": an even share of the batch each, leftovers by priority. */
function evenShares(items: readonly BatchItem[], size: number): PrioritizedBatchItem[] {
  let left = size;
  const share = Math.floor(size / items.length);
  const result: PrioritizedBatchItem[] = [];
  const clipped: PrioritizedBatchItem[] = [];
  for (const item of items) {
    const entry = { item, processAmount: Math.min(item.tokens.length, left, share) };
    result.push(entry);
    left -= entry.processAmount;
    if (entry.processAmount < item.tokens.length) clipped.push(entry);
    if (left === 0) break;
  }
  clipped.sort((a, b) => b.item.evaluationPriority - a.item.evaluationPriority);
  for (const entry of clipped) {
    if (left === 0) break;
    const more = Math.min(entry.item.tokens.length - entry.processAmount, left);
    entry.processAmount += more;
    left -= more;
  }
  return result;
}
