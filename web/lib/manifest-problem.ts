import { ManifestIntegrityError } from "./node-api.ts";

/** A short word in place of a manifest's name: still loading, unavailable, or bytes that do not match the chain. */
export function manifestProblem(error: Error | null): string {
  if (error instanceof ManifestIntegrityError) return "altered: does not match the chain";
  return error ? "unavailable" : "…";
}
