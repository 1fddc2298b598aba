"use client";
import { useEffect, useState } from "react";
import type { ManifestDraft } from "@/lib/manifest.ts";
import { EMPTY_PARAMETERS_DRAFT, parametersDraftValues, parametersManifest, type ParametersDraft } from "@/lib/manifest-forms.ts";
import { parameterGroups, rangeHint, type ParameterField } from "@/lib/parameters-schema.ts";
import { useManifest, useRegistry } from "@/lib/queries.ts";
import { TextAreaField, TextField } from "../ui/Field.tsx";
import { ThresholdPreview } from "./ThresholdPreview.tsx";

const GROUPS = parameterGroups();

/**
 * Every governed setting of the parameters schema, with its unit and what the node does with it
 * (the schema's descriptions); starts from what the network runs now (the registry's manifest,
 * hashed and checked in the browser). An empty field is left out: the node applies its default.
 */
export function ParametersForm({ onChange }: { onChange: (manifest: ManifestDraft) => void }) {
  const [draft, setDraft] = useState<ParametersDraft>(EMPTY_PARAMETERS_DRAFT);
  const [touched, setTouched] = useState(false);
  const registry = useRegistry();
  const current = registry.data?.find((entry) => entry.role === "parameters");
  const currentManifest = useManifest(current && current.version > 0n ? current.cid : undefined, current?.digest);

  useEffect(() => {
    const p = currentManifest.data?.parameters;
    if (!p || touched) return;
    setDraft((d) => ({ ...d, values: parametersDraftValues(p) }));
  }, [currentManifest.data, touched]);

  useEffect(() => onChange(parametersManifest(draft)), [draft, onChange]);

  const edit = (change: (d: ParametersDraft) => ParametersDraft) => {
    setTouched(true);
    setDraft(change);
  };
  const bindMeta = (key: "name" | "description") => ({
    value: draft[key],
    name: key,
    onChange: (e: { target: { value: string } }) => edit((d) => ({ ...d, [key]: e.target.value })),
  });

  return (
    <div className="stack">
      {currentManifest.data && (
        <p className="small muted">Starting from the parameters the network runs now ({currentManifest.data.name}).</p>
      )}
      <div className="grid-2">
        <TextField label="Name" hint="lower-case letters, digits, . _ -" placeholder="e.g. parameters-focused-answers" required {...bindMeta("name")} />
        <TextField label="Description" placeholder="Why this change" {...bindMeta("description")} />
      </div>
      <p className="small muted">Leave a field empty for the node&apos;s default.</p>
      {GROUPS.map((group) => (
        <fieldset key={group.key} data-testid={`parameters-group-${group.key || "top"}`}>
          <legend>{group.title}</legend>
          {group.description && <p className="small muted" style={{ marginTop: 0 }}>{group.description}</p>}
          <div className="grid-3">
            {group.fields.filter((f) => f.kind !== "longtext" && f.kind !== "lines").map((f) => (
              <SchemaField key={f.path} field={f} value={draft.values[f.path] ?? ""} onChange={(value) => edit((d) => ({ ...d, values: { ...d.values, [f.path]: value } }))} />
            ))}
          </div>
          {group.fields.filter((f) => f.kind === "longtext" || f.kind === "lines").map((f) => (
            <div key={f.path} style={{ marginTop: "0.9rem" }}>
              <SchemaField field={f} value={draft.values[f.path] ?? ""} onChange={(value) => edit((d) => ({ ...d, values: { ...d.values, [f.path]: value } }))} />
            </div>
          ))}
        </fieldset>
      ))}
      <ThresholdPreview maxToxicity={draft.values["validation.maxToxicity"] ?? ""} minCoherence={draft.values["validation.minCoherence"] ?? ""} />
    </div>
  );
}

function SchemaField({ field, value, onChange }: { field: ParameterField; value: string; onChange: (value: string) => void }) {
  const range = rangeHint(field);
  const hint = (
    <>
      {field.description}
      {range && <span className="muted"> ({range})</span>}
    </>
  );
  const common = { value, name: field.path, "data-field": field.path, onChange: (e: { target: { value: string } }) => onChange(e.target.value) };
  if (field.kind === "longtext" || field.kind === "lines") return <TextAreaField label={field.title} hint={hint} {...common} />;
  return <TextField label={field.title} hint={hint} inputMode={field.kind === "integer" ? "numeric" : field.kind === "number" ? "decimal" : undefined} {...common} />;
}
