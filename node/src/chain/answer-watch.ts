/**
 * Whether a chain RPC still answers. A chain that refuses connections fails every call at once
 * and is reported; one that accepts connections and never answers only makes calls wait, each
 * until its timeout, and a report built from failed calls would say nothing meanwhile. This
 * watches the transport itself: from the first request sent after the last answer, how long the
 * RPC has been silent.
 */
export type AnswerWatch = {
  /** For viem's http transport (`onFetchRequest`, `onFetchResponse`). */
  onRequest(): void;
  onResponse(): void;
  /** Milliseconds the RPC has been asked without answering; 0 when it answered the last request. */
  silentMs(): number;
};

export function createAnswerWatch(now: () => number = Date.now): AnswerWatch {
  let waitingSince: number | null = null;
  return {
    onRequest() {
      waitingSince ??= now();
    },
    onResponse() {
      waitingSince = null;
    },
    silentMs() {
      return waitingSince === null ? 0 : now() - waitingSince;
    },
  };
}
