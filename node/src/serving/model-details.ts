/**
 * What the node can say about each model it serves now, beyond its name: file, size, digest,
 * context and dimensions. The Ollama-compatible /api/tags, /api/ps and /api/show read it.
 */
import { statSync } from "node:fs";
import type { EmbeddingEngine, GenerationEngine, ModelRole, Models, ModelSlot } from "../inference/index.ts";

export type ModelDetails = {
  role: ModelRole;
  name: string;
  /** The manifest's CID and digest (sha256 of its bytes), null for a bare model file. */
  manifest: string | null;
  digest: string | null;
  version: number | null;
  path: string;
  /** The model file's size and modification time (0 and the epoch when it cannot be read). */
  sizeBytes: number;
  modifiedAt: Date;
  /** Generation: tokens of context per request, and whether the model has a chat template. */
  contextLength?: number;
  hasChatTemplate?: boolean;
  /** Embedding: vector size and longest input in tokens. */
  dimensions?: number;
  maxLength?: number;
};

export function createModelDetails(models: Models): () => ModelDetails[] {
  const { generation, embedding } = models.slots;
  return () => {
    const listed: ModelDetails[] = [];
    const g = peek(generation);
    if (g) listed.push({ ...common("generation", g.engine.info, g.slot), contextLength: g.engine.info.contextLength, hasChatTemplate: g.engine.info.hasChatTemplate });
    const e = peek(embedding);
    if (e) listed.push({ ...common("embedding", e.engine.info, e.slot), dimensions: e.engine.info.dimensions, maxLength: e.engine.info.maxLength });
    return listed;
  };
}

function common(role: ModelRole, info: { name: string; path: string }, slot: ModelSlot<GenerationEngine> | ModelSlot<EmbeddingEngine>) {
  const m = slot.manifest;
  let sizeBytes = 0;
  let modifiedAt = new Date(0);
  try {
    const s = statSync(info.path);
    sizeBytes = s.size;
    modifiedAt = s.mtime;
  } catch {
    // a model file removed under a running engine: still served from memory
  }
  return { role, name: info.name, manifest: m?.cid ?? null, digest: m?.digest ?? null, version: m?.version ?? null, path: info.path, sizeBytes, modifiedAt };
}

function peek<E extends GenerationEngine | EmbeddingEngine>(slot: ModelSlot<E>): { engine: E; slot: ModelSlot<E> } | undefined {
  const lease = slot.acquire();
  lease?.release();
  return lease ? { engine: lease.engine, slot } : undefined;
}
