"use client";
import { formatBytes } from "@/lib/format.ts";
import type { Manifest, ManifestParameters } from "@/lib/manifest.ts";
import { Hex } from "./ui/Hex.tsx";

const PARAMETER_LABELS: [string, string][] = [
  ["temperature", "Temperature"],
  ["topP", "Top-p"],
  ["topK", "Top-k"],
  ["repeatPenalty", "Repeat penalty"],
  ["maxTokens", "Max tokens"],
  ["cacheSimilarity", "Cache similarity"],
  ["systemPrompt", "System prompt"],
];
const LABELLED = new Set([...PARAMETER_LABELS.map(([key]) => key), "validation"]);

/** Every other parameter (limits, audit, …) as dotted paths. */
function otherParameters(parameters: ManifestParameters): [string, string][] {
  const out: [string, string][] = [];
  const walk = (value: unknown, path: string) => {
    if (value && typeof value === "object" && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
    else out.push([path, Array.isArray(value) ? value.join(", ") : String(value)]);
  };
  for (const [key, value] of Object.entries(parameters)) if (!LABELLED.has(key)) walk(value, key);
  return out;
}

/** A manifest for a person: what model, which files (sizes, digests, sources), which parameters. */
export function ManifestView({ manifest }: { manifest: Manifest }) {
  const model = manifest.model;
  const parameters = manifest.parameters;
  return (
    <div className="stack" data-testid="manifest">
      <dl className="kv">
        <dt>Name</dt>
        <dd data-testid="manifest-name"><strong>{manifest.name}</strong></dd>
        <dt>Role</dt>
        <dd>{manifest.role}</dd>
        {manifest.description && (
          <>
            <dt>Description</dt>
            <dd>{manifest.description}</dd>
          </>
        )}
        {model && (
          <>
            <dt>Format</dt>
            <dd>{model.format}</dd>
            {model.contextLength !== undefined && (<><dt>Context length</dt><dd>{model.contextLength} tokens</dd></>)}
            {model.dimensions !== undefined && (<><dt>Dimensions</dt><dd>{model.dimensions}</dd></>)}
            {model.license && (<><dt>License</dt><dd>{model.license}</dd></>)}
            <dt>Total size</dt>
            <dd>{formatBytes(model.artifacts.reduce((sum, a) => sum + a.size, 0))}</dd>
          </>
        )}
      </dl>
      {model && (
        <div>
          <h3>Artifacts</h3>
          <table className="table">
            <thead>
              <tr><th>Path</th><th>Size</th><th>sha256</th><th>Sources</th></tr>
            </thead>
            <tbody>
              {model.artifacts.map((artifact) => (
                <tr key={artifact.path}>
                  <td><code>{artifact.path}</code></td>
                  <td className="num" title={`${artifact.size} bytes`}>{formatBytes(artifact.size)}</td>
                  <td><Hex value={artifact.sha256} /></td>
                  <td className="small">{artifact.sources.map((source) => <div key={source}><code>{source}</code></div>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {parameters && (
        <div>
          <h3>Parameters</h3>
          <dl className="kv" data-testid="manifest-parameters">
            {PARAMETER_LABELS.filter(([key]) => (parameters as Record<string, unknown>)[key] !== undefined).map(([key, label]) => (
              <Entry key={key} label={label} value={String((parameters as Record<string, unknown>)[key])} />
            ))}
            {parameters.validation?.maxToxicity !== undefined && <Entry label="Max toxicity" value={String(parameters.validation.maxToxicity)} />}
            {parameters.validation?.minCoherence !== undefined && <Entry label="Min coherence" value={String(parameters.validation.minCoherence)} />}
            {parameters.validation?.denyPatterns && <Entry label="Deny patterns" value={parameters.validation.denyPatterns.join(", ")} />}
            {otherParameters(parameters).map(([key, value]) => (
              <Entry key={key} label={key} value={value} />
            ))}
          </dl>
        </div>
      )}
    </div>
  );
}

function Entry({ label, value }: { label: string; value: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd style={{ whiteSpace: "pre-wrap" }}>{value}</dd>
    </>
  );
}
