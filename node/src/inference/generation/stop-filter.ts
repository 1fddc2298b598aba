/**
 * Stop strings, matched on the text as the caller receives it. node-llama-cpp's own
 * `customStopTriggers` compare each token's text decoded alone, and a SentencePiece (llama)
 * token decoded alone loses its word-start space: with 3.22 a stop such as "little girl" never
 * matches a llama model's output. Here the text is held back only while it could still be the
 * start of a stop string, so the caller never sees any part of a stop.
 */
export class StopFilter {
  #stops: readonly string[];
  #longest: number;
  #pending = "";

  constructor(stops: readonly string[] = []) {
    this.#stops = stops.filter((s) => s.length > 0);
    this.#longest = Math.max(0, ...this.#stops.map((s) => s.length));
  }

  /** Adds generated text; returns what can be shown now, and whether a stop string was reached. */
  push(chunk: string): { text: string; stopped: boolean } {
    if (this.#stops.length === 0) return { text: chunk, stopped: false };
    const buffer = this.#pending + chunk;
    let stopAt = -1;
    for (const stop of this.#stops) {
      const at = buffer.indexOf(stop);
      if (at >= 0 && (stopAt < 0 || at < stopAt)) stopAt = at;
    }
    if (stopAt >= 0) {
      this.#pending = "";
      return { text: buffer.slice(0, stopAt), stopped: true };
    }
    // Hold back the longest end of the text that some stop string starts with.
    let holdFrom = buffer.length;
    for (let from = Math.max(0, buffer.length - this.#longest + 1); from < buffer.length; from++) {
      const tail = buffer.slice(from);
      if (this.#stops.some((stop) => stop.startsWith(tail))) {
        holdFrom = from;
        break;
      }
    }
    this.#pending = buffer.slice(holdFrom);
    return { text: buffer.slice(0, holdFrom), stopped: false };
  }

  /** The generation ended without a stop: the text held back is part of the reply after all. */
  flush(): string {
    const rest = this.#pending;
    this.#pending = "";
    return rest;
  }
}
