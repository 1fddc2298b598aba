/**
 * Structured output: the JSON schemas the node can enforce while decoding, and the grammar that
 * enforces them (node-llama-cpp's JSON-schema grammar: every token the sampler may pick keeps the
 * text a prefix of a valid answer, so an answer that ends parses and matches its schema).
 *
 * node-llama-cpp's grammar knows a subset of JSON Schema; a schema with any other keyword is
 * refused here, naming the keyword and where it is, rather than enforced partly. Two of its rules
 * differ from JSON Schema and are safe, since what they generate still validates: every property
 * of an object is generated (`required` is implied for all), and an object without
 * `additionalProperties` gets none (JSON Schema would allow any).
 */
import { LlamaText, type GbnfJsonSchema, type Llama, type LlamaGrammar } from "node-llama-cpp";
import type { OutputFormat } from "../types.ts";
import { GenerationRequestError } from "./errors.ts";

/** Annotations with no effect on what is valid: accepted and ignored. */
const ANNOTATIONS = new Set(["description", "title", "$schema", "$id", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly"]);
const TYPES = new Set(["string", "number", "integer", "boolean", "null", "object", "array"]);
const STRING_FORMATS = new Set(["date-time", "time", "date"]);
/** Deepest nesting accepted: a grammar is built per request, and a schema is user input. */
const MAX_DEPTH = 16;
const MAX_NODES = 500;

/** Refuses what the grammar cannot enforce; returns the schema as the grammar takes it. */
export function checkJsonSchema(schema: unknown): GbnfJsonSchema {
  const defs = isObject(schema) && isObject(schema.$defs) ? schema.$defs : {};
  let nodes = 0;
  const refuse = (where: string, why: string): never => {
    throw new GenerationRequestError("unsupported_schema", `the JSON schema ${why} at ${where || "/"}; this node enforces type, properties, additionalProperties, required, items, prefixItems, minItems, maxItems, minLength, maxLength, format (date-time, date, time), enum, const, anyOf/oneOf and $ref to #/$defs`);
  };
  const visit = (node: unknown, where: string, depth: number): GbnfJsonSchema => {
    if (++nodes > MAX_NODES) refuse(where, `has more than ${MAX_NODES} subschemas`);
    if (depth > MAX_DEPTH) refuse(where, `nests deeper than ${MAX_DEPTH} levels`);
    if (!isObject(node)) return refuse(where, "has a subschema that is not an object (true/false schemas are not supported)");
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const at = `${where}/${key}`;
      if (ANNOTATIONS.has(key)) continue;
      switch (key) {
        case "type": {
          const types = Array.isArray(value) ? value : [value];
          if (types.length === 0 || !types.every((t) => typeof t === "string" && TYPES.has(t))) refuse(at, `has an unknown type ${JSON.stringify(value)}`);
          if (Array.isArray(value) && types.some((t) => t === "object" || t === "array")) {
            // node-llama-cpp takes type lists of scalar types only; a list with object or array becomes a union.
            return visit({ anyOf: types.map((t) => ({ ...pick(node, t === "object" ? OBJECT_KEYS : t === "array" ? ARRAY_KEYS : t === "string" ? STRING_KEYS : []), type: t })) }, where, depth);
          }
          out.type = value;
          break;
        }
        case "properties":
          if (!isObject(value)) refuse(at, "has properties that are not an object");
          out.properties = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, visit(v, `${at}/${k}`, depth + 1)]));
          break;
        case "additionalProperties":
          out.additionalProperties = typeof value === "boolean" ? value : visit(value, at, depth + 1);
          break;
        case "required":
          // Every property is generated, so any list of required properties holds.
          if (!Array.isArray(value) || !value.every((k) => typeof k === "string" && isObject(node.properties) && k in node.properties)) {
            refuse(at, "requires a property it does not define");
          }
          break;
        case "items":
          out.items = visit(value, at, depth + 1);
          break;
        case "prefixItems":
          if (!Array.isArray(value)) refuse(at, "has prefixItems that are not an array");
          out.prefixItems = (value as unknown[]).map((v, i) => visit(v, `${at}/${i}`, depth + 1));
          break;
        case "minItems":
        case "maxItems":
        case "minLength":
        case "maxLength":
        case "minProperties":
        case "maxProperties":
          if (!Number.isInteger(value) || (value as number) < 0) refuse(at, `has ${key} that is not an integer >= 0`);
          out[key] = value;
          break;
        case "format":
          if (typeof value !== "string" || !STRING_FORMATS.has(value)) refuse(at, `uses format ${JSON.stringify(value)}, which it cannot enforce`);
          out.format = value;
          break;
        case "enum":
          if (!Array.isArray(value) || value.length === 0 || !value.every(isScalar)) refuse(at, "has an enum that is not a non-empty list of strings, numbers, booleans or null");
          out.enum = value;
          break;
        case "const":
          if (!isScalar(value)) refuse(at, "has a const that is not a string, number, boolean or null");
          out.const = value;
          break;
        case "anyOf":
        case "oneOf":
          // A decoder that generates one branch satisfies anyOf; for oneOf, branches must not overlap (the schema's author's promise).
          if (!Array.isArray(value) || value.length === 0) refuse(at, `has ${key} that is not a non-empty list`);
          out.oneOf = (value as unknown[]).map((v, i) => visit(v, `${at}/${i}`, depth + 1));
          break;
        case "$defs":
          if (where !== "") refuse(at, "has $defs below the root");
          out.$defs = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, visit(v, `${at}/${k}`, depth + 1)]));
          break;
        case "$ref":
          if (typeof value !== "string" || !value.startsWith("#/$defs/") || !(value.slice(8) in defs)) refuse(at, `has $ref ${JSON.stringify(value)}, not one of #/$defs/<name> it defines`);
          out.$ref = value;
          break;
        default:
          if (node[key] === undefined) break;
          refuse(at, `uses the keyword "${key}", which it cannot enforce while decoding`);
      }
    }
    // {"type": "string", "enum": [...]} is common: the values decide, those of another type dropped.
    for (const key of ["enum", "const"] as const) {
      if (!(key in out) || !("type" in out)) continue;
      const types = [out.type].flat() as string[];
      const values = (key === "enum" ? (out.enum as unknown[]) : [out.const]).filter((v) => types.some((t) => hasType(v, t)));
      if (values.length === 0) refuse(where, `has ${key} values none of which is of its type`);
      delete out.type;
      if (key === "enum") out.enum = values;
    }
    const kinds = ["type", "enum", "const", "oneOf", "$ref"].filter((k) => k in out);
    if (kinds.length === 0) refuse(where, "has a subschema with none of type, enum, const, anyOf, oneOf or $ref (an unconstrained value)");
    if (kinds.length > 1) refuse(where, `combines ${kinds.join(" and ")} in one subschema`);
    return out as GbnfJsonSchema;
  };
  return visit(schema, "", 0);
}

const OBJECT_KEYS = ["properties", "additionalProperties", "required", "minProperties", "maxProperties"];
const ARRAY_KEYS = ["items", "prefixItems", "minItems", "maxItems"];
const STRING_KEYS = ["minLength", "maxLength", "format"];

/** Checks a requested format now (before a request waits for a slot). */
export function checkOutputFormat(format: OutputFormat | undefined): void {
  if (format?.type === "json_schema") checkJsonSchema(format.schema);
}

const EXPONENT = ' ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?';

/**
 * The grammar that enforces `format` during decoding (node-llama-cpp's, adjusted). Its numbers take exponents of
 * up to 16 digits, so an "integer" could be 21011241e723387, which JSON.parse reads as Infinity:
 * integers get no exponent here, other numbers one of at most two digits (always finite).
 */
export async function grammarFor(llama: Llama, format: OutputFormat): Promise<LlamaGrammar> {
  if (format.type === "json_object") return await llama.getGrammarFor("json");
  const generated = await llama.createGrammarForJsonSchema(checkJsonSchema(format.schema) as never);
  const grammar = generated.grammar
    .split("\n")
    .map((line) => {
      if (line.startsWith("integer-number-rule ::=")) return line.replace(EXPONENT, "");
      if (line.startsWith("fractional-number-rule ::=")) return line.replace(EXPONENT, ' ([eE] [-+]? [0-9]{1,2})?');
      // Compact JSON: at most one space between tokens, never a newline and indentation (tokens a
      // reply pays for, and a small model can wander into until maxTokens cuts its answer).
      const space = /^((comma-)?whitespace-[\w-]+) ::= /.exec(line);
      if (space) return `${space[1]} ::= ${space[2] ? '"," ' : ""}[ ]?`;
      return line;
    })
    .join("\n");
  if (grammar === generated.grammar) return generated;
  return await llama.createGrammar({ grammar, stopGenerationTriggers: [LlamaText("\n".repeat(4))], trimWhitespaceSuffix: true });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
}

function hasType(v: unknown, type: string): boolean {
  if (type === "null") return v === null;
  if (type === "integer") return Number.isInteger(v);
  return typeof v === type;
}

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}
