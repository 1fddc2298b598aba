"use client";
import { useEffect, useState } from "react";
import type { ManifestDraft } from "@/lib/manifest.ts";
import { EMPTY_PARAMETERS_DRAFT, parametersManifest, type ParametersDraft } from "@/lib/manifest-forms.ts";
import { useManifest, useRegistry } from "@/lib/queries.ts";
import { TextAreaField, TextField } from "../ui/Field.tsx";
import { ThresholdPreview } from "./ThresholdPreview.tsx";

const text = (value: unknown) => (value === undefined ? "" : String(value));

/** Generation parameters and validation thresholds; starts from what the network runs now. */
export function ParametersForm({ onChange }: { onChange: (manifest: ManifestDraft) => void }) {
  const [draft, setDraft] = useState<ParametersDraft>(EMPTY_PARAMETERS_DRAFT);
  const [touched, setTouched] = useState(false);
  const registry = useRegistry();
  const current = registry.data?.find((entry) => entry.role === "parameters");
  const currentManifest = useManifest(current && current.version > 0n ? current.cid : undefined);

  useEffect(() => {
    const p = currentManifest.data?.parameters;
    if (!p || touched) return;
    setDraft((d) => ({
      ...d,
      temperature: text(p.temperature) || d.temperature,
      topP: text(p.topP) || d.topP,
      maxTokens: text(p.maxTokens) || d.maxTokens,
      systemPrompt: p.systemPrompt ?? d.systemPrompt,
      cacheSimilarity: text(p.cacheSimilarity) || d.cacheSimilarity,
      maxToxicity: text(p.validation?.maxToxicity),
      minCoherence: text(p.validation?.minCoherence),
      denyPatterns: (p.validation?.denyPatterns ?? []).join("\n"),
    }));
  }, [currentManifest.data, touched]);

  const base = currentManifest.data?.parameters;
  useEffect(() => onChange(parametersManifest(draft, base)), [draft, base, onChange]);

  const bind = (key: keyof ParametersDraft) => ({
    value: draft[key],
    name: key,
    onChange: (e: { target: { value: string } }) => {
      setTouched(true);
      setDraft((d) => ({ ...d, [key]: e.target.value }));
    },
  });

  return (
    <div className="stack">
      {currentManifest.data && (
        <p className="small muted">
          Starting from the parameters the network runs now ({currentManifest.data.name}); settings this form does not show are kept as they are.
        </p>
      )}
      <div className="grid-2">
        <TextField label="Name" hint="lower-case letters, digits, . _ -" placeholder="e.g. parameters-focused-answers" required {...bind("name")} />
        <TextField label="Description" placeholder="Why this change" {...bind("description")} />
      </div>
      <fieldset>
        <legend>Generation</legend>
        <div className="grid-3">
          <TextField label="Temperature" hint="0 – 2; lower is more focused" inputMode="decimal" {...bind("temperature")} />
          <TextField label="Top-p" hint="0 – 1" inputMode="decimal" {...bind("topP")} />
          <TextField label="Max tokens" hint="per answer" inputMode="numeric" {...bind("maxTokens")} />
        </div>
        <div style={{ marginTop: "0.9rem" }}>
          <TextAreaField label="System prompt" placeholder="You are a helpful assistant…" {...bind("systemPrompt")} />
        </div>
      </fieldset>
      <fieldset>
        <legend>Cache and validation</legend>
        <div className="grid-3">
          <TextField label="Cache similarity" hint="0 – 1; semantic cache hit threshold" inputMode="decimal" {...bind("cacheSimilarity")} />
          <TextField label="Max toxicity" hint="0 – 1, optional" inputMode="decimal" {...bind("maxToxicity")} />
          <TextField label="Min coherence" hint="0 – 1, optional" inputMode="decimal" {...bind("minCoherence")} />
        </div>
        <div style={{ marginTop: "0.9rem" }}>
          <TextAreaField label="Deny patterns" hint="one phrase per line, matched case-insensitively" {...bind("denyPatterns")} />
        </div>
        <ThresholdPreview maxToxicity={draft.maxToxicity} minCoherence={draft.minCoherence} />
      </fieldset>
    </div>
  );
}
