import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

export type ManifestCheck = { ok: true } | { ok: false; errors: string[] };

const compiled = new WeakMap<object, ValidateFunction>();

/** Compiles `schema` once (draft-07 or 2020-12, whichever it declares). */
function validatorFor(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    const draft2020 = String((schema as { $schema?: string }).$schema ?? "").includes("2020-12");
    const ajv = draft2020 ? new Ajv2020({ allErrors: true, strict: false }) : new Ajv({ allErrors: true, strict: false });
    addFormats(ajv as unknown as Ajv);
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath ? error.instancePath.slice(1).replaceAll("/", ".") : "manifest";
  if (error.keyword === "additionalProperties") return `${where}: unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  if (error.keyword === "required") return `${where}: "${(error.params as { missingProperty: string }).missingProperty}" is required`;
  return `${where} ${error.message ?? "is invalid"}`;
}

/** Checks a manifest against manifests/schema.json; every problem, one line each. */
export function validateManifest(schema: object, manifest: unknown): ManifestCheck {
  const validate = validatorFor(schema);
  if (validate(manifest)) return { ok: true };
  const errors = [...new Set((validate.errors ?? []).map(describe))];
  return { ok: false, errors };
}
