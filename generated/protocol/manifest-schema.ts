/**
 * manifests/schema.json compiled once with ajv (draft 2020-12), and ajv's errors turned into
 * problems a person can act on: the same check in the node (before adopting or publishing) and in
 * the browser (before proposing).
 */
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import schema from "../../manifests/schema.json" with { type: "json" };

/** One thing wrong with a manifest: where (a JSON pointer, "" for the whole document) and what. */
export type ManifestProblem = { pointer: string; message: string };

/** The schema document itself (for tools, the HTTP API and the dApp's forms). */
export const manifestSchema: Readonly<Record<string, unknown>> = schema;

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
// ajv-formats is CommonJS: its plugin is the module's `default` export
ajvFormats.default(ajv, ["uri"]);
const validate = ajv.compile(schema);

/** Messages for patterns ajv can only describe as "must match pattern ...". */
const PATTERN_MESSAGES: Record<string, string> = {
  "#/properties/name/pattern": "must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
  "#/$defs/sha256/pattern": "must be a sha256: 64 lower-case hex digits",
  "#/$defs/artifactPath/pattern": "must be a relative '/'-separated path inside the model's folder",
  "#/$defs/source/pattern": "must be an ipfs://, http:// or https:// URL",
};

/** A schema problem, tagged with the JSON Schema keyword that failed. */
export type SchemaProblem = ManifestProblem & { keyword: string };

/** Every schema problem of `value` (empty when it conforms). */
export function schemaProblems(value: unknown): SchemaProblem[] {
  if (validate(value)) return [];
  const problems: SchemaProblem[] = [];
  for (const error of validate.errors ?? []) {
    const problem = toProblem(error);
    if (problem) problems.push({ ...problem, keyword: error.keyword });
  }
  return problems;
}

function toProblem(error: ErrorObject): ManifestProblem | undefined {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "if":
      return undefined; // its "then" branch already reported the concrete problem
    case "required":
      return { pointer: `${at}/${String(params.missingProperty)}`, message: "is required" };
    case "additionalProperties":
      return { pointer: `${at}/${String(params.additionalProperty)}`, message: "is not a known field" };
    case "const":
      return at === "/schema"
        ? { pointer: at, message: `unknown schema (this node reads "${String(params.allowedValue)}")` }
        : { pointer: at, message: `must be ${JSON.stringify(params.allowedValue)} for this role` };
    case "enum":
      return { pointer: at, message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "not":
      if (/\/rules\/\d+$/.test(at)) return { pointer: at, message: "a regex rule takes pattern (and flags); a forbid or require rule takes phrase" };
      return at === "" ? { pointer: "/model", message: "a parameters manifest cannot name a model" } : { pointer: at, message: error.message ?? "is invalid" };
    case "pattern":
      return { pointer: at, message: PATTERN_MESSAGES[error.schemaPath] ?? error.message ?? "is invalid" };
    case "format":
      return { pointer: at, message: `is not a valid ${String(params.format)}` };
    case "uniqueItems":
      return { pointer: at, message: `has duplicate entries (items ${String(params.j)} and ${String(params.i)})` };
    default:
      return { pointer: at, message: error.message ?? "is invalid" };
  }
}
