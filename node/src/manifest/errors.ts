import type { ManifestProblem } from "@ns-llm/contracts";
import { NsLlmError } from "../errors.ts";

export type ManifestErrorCode =
  /** The bytes are not UTF-8 JSON. */
  | "manifest_not_json"
  /** The document is larger than a manifest may be. */
  | "manifest_too_large"
  /** The schema or the node's own rules refuse it; `problems` lists every reason. */
  | "manifest_invalid"
  /** The bytes do not have the digest they were adopted with. */
  | "digest_mismatch";

/** A refused manifest. `message` names every problem, one `pointer: message` per problem. */
export class ManifestError extends NsLlmError<ManifestErrorCode> {
  readonly problems: ManifestProblem[];

  constructor(code: ManifestErrorCode, problems: ManifestProblem[], subject = "manifest") {
    super(code, `${subject} refused: ${problems.map(formatProblem).join("; ")}`, { hint: "fix the manifest and publish it again" });
    this.problems = problems;
  }
}

/** `"/model/artifacts/0/path: leaves its folder"`; the whole document is shown as "(document)". */
export function formatProblem(problem: ManifestProblem): string {
  return `${problem.pointer === "" ? "(document)" : problem.pointer}: ${problem.message}`;
}
