/**
 * The schema check of a manifest in the browser: the protocol's compiled manifests/schema.json
 * and its validation rules (a regex must compile under RE2, within its size bound) — the same
 * checks the node runs before it publishes or adopts — each problem as one line.
 */
import { schemaProblems, validationRuleProblems, type Manifest } from "@ns-llm/contracts";

export type ManifestCheck = { ok: true; manifest: Manifest } | { ok: false; errors: string[] };

/** Checks a manifest against manifests/schema.json; every problem, one line each (`parameters.topP must be <= 1`). */
export function validateManifest(value: unknown): ManifestCheck {
  const problems = [...schemaProblems(value), ...validationRuleProblems(value)];
  // The schema is the Manifest type's definition: a value it accepts is a Manifest.
  if (problems.length === 0) return { ok: true, manifest: value as Manifest };
  const where = (pointer: string) => (pointer ? pointer.slice(1).replaceAll("/", ".") : "manifest");
  return { ok: false, errors: [...new Set(problems.map((p) => `${where(p.pointer)} ${p.message}`))] };
}
