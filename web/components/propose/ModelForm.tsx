"use client";
import { useEffect, useState } from "react";
import type { ManifestDraft } from "@/lib/manifest.ts";
import { EMPTY_ARTIFACT_DRAFT, EMPTY_MODEL_DRAFT, modelManifest, type ArtifactDraft, type ModelDraft } from "@/lib/manifest-forms.ts";
import { Button } from "../ui/Button.tsx";
import { SelectField, TextAreaField, TextField } from "../ui/Field.tsx";

/** A model adoption: which files (by sha256 and size) and where to get them. */
export function ModelForm({ onChange }: { onChange: (manifest: ManifestDraft) => void }) {
  const [draft, setDraft] = useState<ModelDraft>(EMPTY_MODEL_DRAFT);
  useEffect(() => onChange(modelManifest(draft)), [draft, onChange]);

  const set = <K extends keyof ModelDraft>(key: K, value: ModelDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const setArtifact = (i: number, key: keyof ArtifactDraft, value: string) =>
    setDraft((d) => ({ ...d, artifacts: d.artifacts.map((a, j) => (j === i ? { ...a, [key]: value } : a)) }));
  const generation = draft.role === "generation";

  return (
    <div className="stack">
      <div className="grid-3">
        <SelectField
          label="Role"
          value={draft.role}
          onChange={(e) => {
            const role = e.target.value as ModelDraft["role"];
            setDraft((d) => ({ ...d, role, format: role === "generation" ? "gguf" : "onnx" }));
          }}
        >
          <option value="generation">generation (llama.cpp, GGUF)</option>
          <option value="embedding">embedding (ONNX)</option>
          <option value="moderation">moderation (ONNX toxicity classifier)</option>
          <option value="vision">vision (ONNX image encoder, CLIP-style)</option>
        </SelectField>
        <TextField label="Format" value={draft.format} readOnly hint="set by the role" />
        {generation ? (
          <TextField label="Context length" inputMode="numeric" value={draft.contextLength} onChange={(e) => set("contextLength", e.target.value)} />
        ) : draft.role === "moderation" ? (
          <TextField label="Output" value="toxicity logits" readOnly hint="1 logit: sigmoid; 2: softmax, second label" />
        ) : (
          <TextField label="Dimensions" inputMode="numeric" value={draft.dimensions} onChange={(e) => set("dimensions", e.target.value)} />
        )}
      </div>
      {draft.role === "vision" && (
        <div className="grid-2">
          <TextField label="Image size" inputMode="numeric" value={draft.imageSize} onChange={(e) => set("imageSize", e.target.value)} hint="pixels per side (CLIP ViT-B/32: 224)" />
          <TextField label="Paired embedding model" placeholder="e.g. clip-vit-base-patch32-text" value={draft.pairedEmbedding} onChange={(e) => set("pairedEmbedding", e.target.value)} hint="the embedding manifest whose text vectors share this space" />
        </div>
      )}
      <div className="grid-2">
        <TextField label="Name" placeholder="e.g. tinyllama-1.1b-chat-v1.0-q4_k_m" value={draft.name} onChange={(e) => set("name", e.target.value)} />
        <TextField label="License" placeholder="e.g. apache-2.0" value={draft.license} onChange={(e) => set("license", e.target.value)} />
      </div>
      <TextAreaField label="Description" placeholder="What the model is and why the network should run it" value={draft.description} onChange={(e) => set("description", e.target.value)} />
      {generation && (
        <TextAreaField label="Chat template" hint="optional; the GGUF's own template is used when empty" value={draft.chatTemplate} onChange={(e) => set("chatTemplate", e.target.value)} />
      )}
      {draft.artifacts.map((artifact, i) => (
        <fieldset key={i}>
          <legend>Artifact {i + 1}</legend>
          <div className="stack">
            <div className="grid-3">
              <TextField label="Path" placeholder="model.gguf" value={artifact.path} onChange={(e) => setArtifact(i, "path", e.target.value)} />
              <TextField label="Size (bytes)" inputMode="numeric" value={artifact.size} onChange={(e) => setArtifact(i, "size", e.target.value)} />
              <TextField label="sha256" placeholder="64 hex digits from the publisher" value={artifact.sha256} onChange={(e) => setArtifact(i, "sha256", e.target.value)} />
            </div>
            <TextAreaField label="Sources" hint="one per line: ipfs://<cid>, https://…" value={artifact.sources} onChange={(e) => setArtifact(i, "sources", e.target.value)} />
            {draft.artifacts.length > 1 && (
              <div>
                <Button size="small" variant="danger" onClick={() => set("artifacts", draft.artifacts.filter((_, j) => j !== i))}>
                  Remove artifact
                </Button>
              </div>
            )}
          </div>
        </fieldset>
      ))}
      <div>
        <Button size="small" onClick={() => set("artifacts", [...draft.artifacts, { ...EMPTY_ARTIFACT_DRAFT }])}>
          Add artifact
        </Button>
      </div>
    </div>
  );
}
