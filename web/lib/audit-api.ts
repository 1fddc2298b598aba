/** The node's audit routes (node/src/audit/routes.ts): entries, batches and inclusion proofs. */
import type { AuditBatchesResponse, AuditBatchView, AuditEntriesResponse, AuditEntryView, AuditProof } from "@ns-llm/contracts";
import { nodeJson } from "./node-http.ts";

export type { AuditProof };
export type AuditEntry = AuditEntryView;
export type AuditEntriesPage = AuditEntriesResponse;
export type AuditBatch = AuditBatchView;

export function getAuditEntries(nodeUrl: string, from: number, limit: number): Promise<AuditEntriesPage> {
  return nodeJson<AuditEntriesPage>(nodeUrl, `/api/audit?from=${from}&limit=${limit}`);
}

/** The newest `limit` entries, newest first, and the log's size. */
export async function getRecentAuditEntries(nodeUrl: string, limit: number, before?: number): Promise<AuditEntriesPage> {
  const head = before ?? (await getAuditEntries(nodeUrl, 0, 1)).total;
  const from = Math.max(0, head - limit);
  const page = await getAuditEntries(nodeUrl, from, Math.max(1, head - from));
  return { ...page, entries: page.entries.filter((e) => e.seq < head).reverse() };
}

export async function getAuditBatches(nodeUrl: string, limit = 100): Promise<{ batches: AuditBatch[]; total: number }> {
  const first = await nodeJson<AuditBatchesResponse>(nodeUrl, `/api/audit/batches?from=0&limit=1`);
  const from = Math.max(0, first.total - limit);
  const page = await nodeJson<AuditBatchesResponse>(nodeUrl, `/api/audit/batches?from=${from}&limit=${limit}`);
  return { batches: [...page.batches].reverse(), total: page.total };
}

export function getAuditProof(nodeUrl: string, seq: number): Promise<AuditProof> {
  return nodeJson<AuditProof>(nodeUrl, `/api/audit/${seq}/proof`);
}
