/**
 * The propose forms' drafts (what a person typed, as text) and the manifests they make. Empty
 * fields are left out; a field that is not a number stays text so the schema check names it.
 */
import { lines, numberField, prune, type ManifestDraft, type ManifestParameters } from "./manifest.ts";
import type { PluginRef } from "@ns-llm/contracts";
import { parameterFields } from "./parameters-schema.ts";

/** The parameters form: name, description, and the text of each schema field by its dotted path (lib/parameters-schema.ts). */
export type ParametersDraft = { name: string; description: string; values: Record<string, string> };

export const EMPTY_PARAMETERS_DRAFT: ParametersDraft = { name: "", description: "", values: {} };

/** The form's text for each field of `parameters` (what the network runs now, as a starting point). */
export function parametersDraftValues(parameters: ManifestParameters | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const f of parameterFields()) {
    const value = f.path.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), parameters);
    if (value === undefined) continue;
    values[f.path] = Array.isArray(value) ? (f.items === "pluginRef" ? (value as PluginRef[]).map(formatPluginRef) : value).join("\n") : String(value);
  }
  return values;
}

/**
 * The manifest a parameters draft makes: each schema field from its text (a number field that is
 * not a number stays text, so the schema check names it); an empty field is left out, so the node
 * applies its own default for it.
 */
export function parametersManifest(draft: ParametersDraft): ManifestDraft {
  const parameters: Record<string, unknown> = {};
  for (const f of parameterFields()) {
    const text = draft.values[f.path] ?? "";
    const value =
      f.kind === "number" || f.kind === "integer" ? numberField(text) : f.items === "pluginRef" ? lines(text).map(parsePluginRef) : f.kind === "lines" ? lines(text) : text;
    const keys = f.path.split(".");
    let at = parameters;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys.at(-1)!] = value;
  }
  return prune({ schema: "ns-llm.manifest/v1", role: "parameters", name: draft.name.trim(), description: draft.description.trim(), parameters });
}

/** "name@1.0.0 <sha256>" -> {name, version, digest}: a plugin as the governed `plugins` lists name it (a scoped name keeps its leading @). */
export function parsePluginRef(line: string): PluginRef {
  const [nameVersion = "", digest] = line.split(/\s+/);
  const at = nameVersion.lastIndexOf("@");
  const ref: PluginRef = at > 0 ? { name: nameVersion.slice(0, at), version: nameVersion.slice(at + 1) } : { name: nameVersion };
  return digest ? { ...ref, digest } : ref;
}

export function formatPluginRef(ref: PluginRef): string {
  return `${ref.name}${ref.version ? `@${ref.version}` : ""}${ref.digest ? ` ${ref.digest}` : ""}`;
}

export type ArtifactDraft = { path: string; sha256: string; size: string; sources: string };

export type ModelDraft = {
  /**
   * moderation: the toxicity classifier the validation layers score answers with (ONNX);
   * vision: a CLIP-style image encoder (ONNX) whose vectors share a text embedding model's space.
   */
  role: "generation" | "embedding" | "moderation" | "vision";
  name: string;
  description: string;
  format: "gguf" | "onnx";
  contextLength: string;
  dimensions: string;
  /** vision: the side images are resized to (CLIP ViT-B/32: 224), and the embedding model it pairs with. */
  imageSize: string;
  pairedEmbedding: string;
  license: string;
  chatTemplate: string;
  artifacts: ArtifactDraft[];
};

export const EMPTY_ARTIFACT_DRAFT: ArtifactDraft = { path: "", sha256: "", size: "", sources: "" };

export function modelManifest(draft: ModelDraft): ManifestDraft {
  const generation = draft.role === "generation";
  const embedding = draft.role === "embedding";
  const vision = draft.role === "vision";
  return prune({
    schema: "ns-llm.manifest/v1",
    role: draft.role,
    name: draft.name.trim(),
    description: draft.description.trim(),
    model: {
      format: draft.format,
      artifacts: draft.artifacts.map((a) => ({
        path: a.path.trim(),
        sha256: a.sha256.trim().toLowerCase(),
        size: numberField(a.size) as number,
        sources: lines(a.sources),
      })),
      contextLength: generation ? numberField(draft.contextLength) : undefined,
      dimensions: embedding || vision ? numberField(draft.dimensions) : undefined,
      image: vision ? { size: numberField(draft.imageSize) } : undefined,
      pairedEmbedding: vision ? draft.pairedEmbedding.trim() : undefined,
      chatTemplate: generation ? draft.chatTemplate : undefined,
      license: draft.license.trim(),
    },
  });
}

export const EMPTY_MODEL_DRAFT: ModelDraft = {
  role: "generation",
  name: "",
  description: "",
  format: "gguf",
  contextLength: "2048",
  dimensions: "384",
  imageSize: "224",
  pairedEmbedding: "",
  license: "",
  chatTemplate: "",
  artifacts: [{ ...EMPTY_ARTIFACT_DRAFT }],
};
