/**
 * The verified answers of peers, in memory, bounded by count and by bytes: least recently used go
 * first (a Map keeps insertion order; a hit moves its entry to the end). One entry per (key,
 * prompt): a later verified answer replaces an earlier one. Only answers whose signature was
 * checked are put here (federation.ts).
 */
import type { FederatedAnswerRecord, FederatedProvenance } from "@ns-llm/contracts";

export type PeerAnswer = FederatedProvenance & { record: FederatedAnswerRecord; bytes: number };

export type PeerAnswerStore = {
  put(answer: PeerAnswer): void;
  get(key: string, prompt: string): PeerAnswer | undefined;
  /** Drops every entry `keep` refuses (a change of the node's manifests); returns how many went. */
  purge(keep: (answer: PeerAnswer) => boolean): number;
  stats(): { entries: number; bytes: number; maxEntries: number; maxBytes: number };
};

export function createPeerAnswerStore({ maxEntries = 10_000, maxBytes = 32 * 1024 * 1024 } = {}): PeerAnswerStore {
  const entries = new Map<string, PeerAnswer>();
  let bytes = 0;
  // The key is JSON and the prompt free text: a separator neither can be confused by.
  const id = (key: string, prompt: string) => JSON.stringify([key, prompt]);
  const remove = (k: string) => {
    const old = entries.get(k);
    if (!old) return;
    entries.delete(k);
    bytes -= old.bytes;
  };
  return {
    put(answer) {
      if (answer.bytes > maxBytes) return;
      const k = id(answer.record.key, answer.record.prompt);
      remove(k);
      entries.set(k, answer);
      bytes += answer.bytes;
      for (const [oldest] of entries) {
        if (entries.size <= maxEntries && bytes <= maxBytes) break;
        remove(oldest);
      }
    },
    get(key, prompt) {
      const k = id(key, prompt);
      const found = entries.get(k);
      if (found) {
        entries.delete(k);
        entries.set(k, found);
      }
      return found;
    },
    purge(keep) {
      let gone = 0;
      for (const [k, answer] of entries) {
        if (keep(answer)) continue;
        remove(k);
        gone++;
      }
      return gone;
    },
    stats: () => ({ entries: entries.size, bytes, maxEntries, maxBytes }),
  };
}
