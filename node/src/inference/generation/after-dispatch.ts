/**
 * Runs the delivery of generated text after llama.cpp got its next batch to decode, so that what
 * the callers do with a token (an SSE write: a syscall of 50-100 us on a small machine) runs on
 * the main thread while the next token is computed on another one, instead of before it.
 *
 * node-llama-cpp decodes a batch when its `dispatchSchedule` says (by default in a setImmediate);
 * a token's text reaches the engine before its sequence has even asked for the next decode. This
 * runner is that schedule: once per turn of the event loop (one setImmediate, as before) it starts
 * the batches asked for, lets node-llama-cpp reach llama.cpp (a few promise jobs), then runs the
 * deliveries deferred meanwhile. Where node-llama-cpp decodes the next batch on its own (its batch
 * loop goes on while sequences wait), that decode started before anyway. Either way a token is
 * delivered in the turn it was generated; should a later node-llama-cpp take more promise jobs to
 * reach llama.cpp, deliveries merely come before the decode again, as without this runner.
 */

/** Promise jobs from a dispatch to llama.cpp's decode: one in node-llama-cpp 3.22 (it awaits its thread allocation), and room to spare. */
const JOBS_TO_DECODE = 4;

export class AfterDispatch {
  #dispatches: Array<() => void> = [];
  #deliveries = new Set<() => void>();
  #scheduled = false;
  #delivering = false;

  /** node-llama-cpp's `batching.dispatchSchedule`. */
  readonly dispatchSchedule = (dispatch: () => void): void => {
    this.#dispatches.push(dispatch);
    this.#schedule();
  };

  /**
   * Runs `deliver` at the end of this turn, after any batch dispatch (once, however often deferred
   * in the turn). `deliver` must not throw.
   */
  defer(deliver: () => void): void {
    this.#deliveries.add(deliver);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#run);
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    for (const dispatch of this.#dispatches.splice(0)) dispatch();
    if (this.#deliveries.size > 0 && !this.#delivering) {
      this.#delivering = true;
      void this.#deliverAfterDecodeStarts();
    }
  };

  async #deliverAfterDecodeStarts(): Promise<void> {
    for (let i = 0; i < JOBS_TO_DECODE; i++) await undefined;
    this.#delivering = false;
    const deliveries = [...this.#deliveries];
    this.#deliveries.clear();
    for (const deliver of deliveries) deliver();
  }
}
