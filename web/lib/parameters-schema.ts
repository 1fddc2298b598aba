/**
 * The parameters form, made from the schema (manifests/schema.json `$defs.parameters`, the
 * protocol's `manifestSchema`): one field per governed setting, with the schema's title, its
 * description (the unit and what the node does with it) and its range. A field the schema drops
 * leaves the form with it; one it adds appears, so the form offers exactly what can be voted.
 */
import { manifestSchema } from "@ns-llm/contracts";

type SchemaNode = {
  $ref?: string;
  type?: string;
  title?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  items?: SchemaNode & { $ref?: string };
  properties?: Record<string, SchemaNode>;
};

export type FieldKind = "number" | "integer" | "text" | "longtext" | "lines";

export type ParameterField = {
  /** Dotted path inside `parameters` (`limits.maxQueue`): the draft's key. */
  path: string;
  title: string;
  description: string | undefined;
  kind: FieldKind;
  minimum: number | undefined;
  maximum: number | undefined;
  /** "pluginRef": a line per plugin, `name[@version] [digest]` (the governed `plugins` lists). */
  items?: "pluginRef";
};

export type ParameterGroup = { key: string; title: string; description: string | undefined; fields: ParameterField[] };

const defs = (manifestSchema as { $defs: Record<string, SchemaNode> }).$defs;

/** A `$ref` into `$defs` resolved, with the referring node's own keywords (title, description) on top. */
function resolve(node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const target = defs[node.$ref.replace("#/$defs/", "")];
  if (!target) throw new Error(`manifests/schema.json: unresolved ${node.$ref}`);
  const { $ref: _ref, ...own } = node;
  return { ...resolve(target), ...own };
}

/** "maxQueue" -> "Max queue", for a property the schema gives no title. */
function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function field(path: string, key: string, node: SchemaNode): ParameterField {
  const kind: FieldKind =
    node.type === "integer" ? "integer" : node.type === "number" ? "number" : node.type === "array" ? "lines" : (node.maxLength ?? 0) > 200 ? "longtext" : "text";
  return {
    path, title: node.title ?? humanize(key), description: node.description, kind, minimum: node.minimum, maximum: node.maximum,
    ...(node.items?.$ref === "#/$defs/pluginRef" ? { items: "pluginRef" as const } : {}),
  };
}

/** The form's groups: the top-level settings first ("Generation and cache"), then each object of the schema (validation, audit, limits). */
export function parameterGroups(): ParameterGroup[] {
  const parameters = resolve(defs.parameters!);
  const top: ParameterGroup = { key: "", title: "Generation and cache", description: undefined, fields: [] };
  const groups: ParameterGroup[] = [top];
  for (const [key, raw] of Object.entries(parameters.properties ?? {})) {
    const node = resolve(raw);
    if (node.type === "object") {
      const fields = Object.entries(node.properties ?? {}).map(([k, v]) => field(`${key}.${k}`, k, resolve(v)));
      groups.push({ key, title: node.title ?? humanize(key), description: node.description, fields });
    } else {
      top.fields.push(field(key, key, node));
    }
  }
  return groups.filter((g) => g.fields.length > 0);
}

/** Every field of the form, in order. */
export function parameterFields(): ParameterField[] {
  return parameterGroups().flatMap((g) => g.fields);
}

/** The range and kind of a field for its hint: "0 – 2", "whole number, 1 – 1024", "one per line". */
export function rangeHint(f: ParameterField): string {
  const range = f.minimum !== undefined && f.maximum !== undefined ? `${f.minimum} – ${f.maximum}` : f.minimum !== undefined ? `≥ ${f.minimum}` : "";
  if (f.kind === "integer") return ["whole number", range].filter(Boolean).join(", ");
  if (f.items === "pluginRef") return "one per line: name[@version] [package digest]";
  if (f.kind === "lines") return "one per line";
  return range;
}
