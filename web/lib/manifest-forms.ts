/**
 * The propose forms' drafts (what a person typed, as text) and the manifests they make. Empty
 * fields are left out; a field that is not a number stays text so the schema check names it.
 */
import { lines, numberField, prune, type ManifestDraft, type ManifestParameters } from "./manifest.ts";

export type ParametersDraft = {
  name: string;
  description: string;
  temperature: string;
  topP: string;
  maxTokens: string;
  systemPrompt: string;
  cacheSimilarity: string;
  maxToxicity: string;
  minCoherence: string;
  denyPatterns: string;
};

export const EMPTY_PARAMETERS_DRAFT: ParametersDraft = {
  name: "",
  description: "",
  temperature: "0.7",
  topP: "0.9",
  maxTokens: "256",
  systemPrompt: "",
  cacheSimilarity: "0.92",
  maxToxicity: "",
  minCoherence: "",
  denyPatterns: "",
};

/** Keys this form edits; every other key of the current parameters (limits, audit, topK…) is kept. */
const FORM_KEYS = ["temperature", "topP", "maxTokens", "systemPrompt", "cacheSimilarity", "validation"] as const;

export function parametersManifest(draft: ParametersDraft, base: ManifestParameters = {}): ManifestDraft {
  const kept = Object.fromEntries(Object.entries(base).filter(([key]) => !(FORM_KEYS as readonly string[]).includes(key)));
  return prune({
    schema: "ns-llm.manifest/v1",
    role: "parameters",
    name: draft.name.trim(),
    description: draft.description.trim(),
    parameters: {
      ...kept,
      temperature: numberField(draft.temperature),
      topP: numberField(draft.topP),
      maxTokens: numberField(draft.maxTokens),
      systemPrompt: draft.systemPrompt,
      cacheSimilarity: numberField(draft.cacheSimilarity),
      validation: {
        maxToxicity: numberField(draft.maxToxicity),
        minCoherence: numberField(draft.minCoherence),
        denyPatterns: lines(draft.denyPatterns),
      },
    },
  });
}

export type ArtifactDraft = { path: string; sha256: string; size: string; sources: string };

export type ModelDraft = {
  role: "generation" | "embedding";
  name: string;
  description: string;
  format: "gguf" | "onnx";
  contextLength: string;
  dimensions: string;
  license: string;
  chatTemplate: string;
  artifacts: ArtifactDraft[];
};

export const EMPTY_ARTIFACT_DRAFT: ArtifactDraft = { path: "", sha256: "", size: "", sources: "" };

export function modelManifest(draft: ModelDraft): ManifestDraft {
  const generation = draft.role === "generation";
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
      dimensions: generation ? undefined : numberField(draft.dimensions),
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
  license: "",
  chatTemplate: "",
  artifacts: [{ ...EMPTY_ARTIFACT_DRAFT }],
};
