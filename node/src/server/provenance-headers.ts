/** An answer's provenance as response headers (PROVENANCE_HEADERS); absent values are left out. */
import { PROVENANCE_HEADERS, type AnswerSource, type Provenance } from "@ns-llm/contracts";

export function provenanceHeaders(p: Partial<Provenance> & { source?: AnswerSource }): Record<string, string> {
  const h: Record<string, string> = {};
  if (p.model) h[PROVENANCE_HEADERS.model] = p.model;
  if (p.manifest) h[PROVENANCE_HEADERS.manifest] = p.manifest;
  if (p.auditSeq !== undefined && p.auditSeq !== null) h[PROVENANCE_HEADERS.auditSeq] = String(p.auditSeq);
  if (p.source && p.source !== "embedding") h[PROVENANCE_HEADERS.source] = p.source;
  return h;
}
