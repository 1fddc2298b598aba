/**
 * The semantic cache: an answer is stored with the embedding of its prompt; a later prompt whose
 * embedding, made by the same embedding model (`space`), is at least `threshold` similar (cosine
 * of unit vectors), asked with the same settings, gets that answer back without waking the model. Entries expire after `ttlMs`, and the
 * oldest go first past `maxEntries`. `settings` is the caller's key of everything else that shapes
 * an answer (cache-key.ts); `purge` drops the entries a governance change no longer matches. An
 * entry keeps the provenance of the answer it stores (manifest, audit seq), which a hit repeats.
 */
import type { DatabaseSync } from "node:sqlite";
import { migrateGatewayDatabase } from "./schema.ts";

/** Where a cached answer came from: the node's manifest and audit entry of the original answer. */
export type CachedProvenance = { manifest: string | null; auditSeq: number | null };

export type CachedAnswer = CachedProvenance & { id: number; text: string; model: string; prompt: string; similarity: number; ms: number; tokens: number };

export type SemanticCache = {
  /** `space` names the embedding model that made `embedding` (its manifest CID or name). */
  lookup(embedding: Float32Array, settings: string, threshold: number, space: string): CachedAnswer | undefined;
  /** The same prompt asked before: works without embeddings, e.g. while the node is down. */
  lookupExact(prompt: string, settings: string): CachedAnswer | undefined;
  /** An entry without an embedding (`space` absent) answers exact repeats only. */
  store(entry: CachedProvenance & { embedding: Float32Array; space?: string; settings: string; prompt: string; text: string; model: string; ms: number; tokens: number }): void;
  /** Deletes every entry whose settings `keep` refuses; returns how many went. */
  purge(keep: (settings: string) => boolean): number;
  /** Deletes one entry (a hit that may no longer be served). */
  remove(id: number): void;
  size(): number;
};

export function openSemanticCache(db: DatabaseSync, options: { ttlMs?: number; maxEntries?: number } = {}): SemanticCache {
  migrateGatewayDatabase(db);
  const ttlMs = options.ttlMs ?? 24 * 3600_000;
  const maxEntries = options.maxEntries ?? 10_000;
  // Vectors are kept in memory too, per settings key, so a lookup is one pass over floats.
  const rows = () =>
    db.prepare("SELECT id, settings, embedding_space, embedding, created_at FROM cache WHERE created_at >= ?").all(Date.now() - ttlMs) as Array<{
      id: number;
      settings: string;
      embedding_space: string;
      embedding: Uint8Array;
      created_at: number;
    }>;
  const vectors = new Map<number, { settings: string; space: string; vector: Float32Array }>();
  for (const r of rows()) vectors.set(r.id, { settings: r.settings, space: r.embedding_space, vector: toVector(r.embedding) });

  return {
    lookup(embedding, settings, threshold, space) {
      let best: { id: number; similarity: number } | undefined;
      for (const [id, entry] of vectors) {
        if (entry.settings !== settings || entry.space !== space || entry.vector.length !== embedding.length) continue;
        const similarity = dot(entry.vector, embedding);
        if (similarity >= threshold && (!best || similarity > best.similarity)) best = { id, similarity };
      }
      if (!best) return undefined;
      const row = db.prepare("SELECT prompt, answer, model, ms, created_at FROM cache WHERE id = ?").get(best.id) as
        | { prompt: string; answer: string; model: string; ms: number; created_at: number }
        | undefined;
      if (!row || row.created_at < Date.now() - ttlMs) {
        vectors.delete(best.id);
        return undefined;
      }
      db.prepare("UPDATE cache SET hits = hits + 1 WHERE id = ?").run(best.id);
      return { id: best.id, ...answerOf(row.answer), model: row.model, prompt: row.prompt, similarity: best.similarity, ms: row.ms };
    },
    lookupExact(prompt, settings) {
      const row = db
        .prepare("SELECT id, prompt, answer, model, ms FROM cache WHERE settings = ? AND prompt = ? AND created_at >= ? ORDER BY id DESC LIMIT 1")
        .get(settings, prompt, Date.now() - ttlMs) as { id: number; prompt: string; answer: string; model: string; ms: number } | undefined;
      if (!row) return undefined;
      db.prepare("UPDATE cache SET hits = hits + 1 WHERE id = ?").run(row.id);
      return { id: row.id, ...answerOf(row.answer), model: row.model, prompt: row.prompt, similarity: 1, ms: row.ms };
    },
    store(entry) {
      const { lastInsertRowid } = db
        .prepare("INSERT INTO cache (settings, prompt, embedding_space, embedding, answer, model, ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .run(entry.settings, entry.prompt, entry.space ?? "", toBlob(entry.embedding), JSON.stringify({ text: entry.text, tokens: entry.tokens, manifest: entry.manifest, auditSeq: entry.auditSeq }), entry.model, entry.ms, Date.now());
      vectors.set(Number(lastInsertRowid), { settings: entry.settings, space: entry.space ?? "", vector: entry.embedding });
      if (vectors.size > maxEntries) {
        const oldest = [...vectors.keys()].sort((a, b) => a - b).slice(0, vectors.size - maxEntries);
        for (const id of oldest) {
          vectors.delete(id);
          db.prepare("DELETE FROM cache WHERE id = ?").run(id);
        }
      }
    },
    purge(keep) {
      const all = db.prepare("SELECT id, settings FROM cache").all() as Array<{ id: number; settings: string }>;
      const gone = all.filter((r) => !keep(r.settings));
      const remove = db.prepare("DELETE FROM cache WHERE id = ?");
      for (const { id } of gone) {
        remove.run(id);
        vectors.delete(id);
      }
      return gone.length;
    },
    remove(id) {
      db.prepare("DELETE FROM cache WHERE id = ?").run(id);
      vectors.delete(id);
    },
    size: () => vectors.size,
  };
}

function answerOf(json: string): { text: string; tokens: number } & CachedProvenance {
  const a = JSON.parse(json) as { text: string; tokens: number; manifest?: string | null; auditSeq?: number | null };
  return { text: a.text, tokens: a.tokens, manifest: a.manifest ?? null, auditSeq: a.auditSeq ?? null };
}

function toBlob(vector: Float32Array): Uint8Array {
  return new Uint8Array(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength));
}

function toVector(blob: Uint8Array): Float32Array {
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
