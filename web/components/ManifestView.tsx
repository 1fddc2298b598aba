"use client";
import { formatBytes } from "@/lib/format.ts";
import type { Manifest, ManifestParameters } from "@/lib/manifest.ts";
import { parameterFields } from "@/lib/parameters-schema.ts";
import { Hex } from "./ui/Hex.tsx";

/** Each governed setting the manifest sets, titled as the schema titles it, then anything else as a dotted path. */
function parameterEntries(parameters: ManifestParameters): [string, string][] {
  const out: [string, string][] = [];
  const known = new Set<string>();
  for (const f of parameterFields()) {
    known.add(f.path);
    const value = f.path.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), parameters);
    if (value !== undefined) out.push([f.title, Array.isArray(value) ? value.join(", ") : String(value)]);
  }
  const walk = (value: unknown, path: string) => {
    if (value && typeof value === "object" && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    else if (!known.has(path)) out.push([path, Array.isArray(value) ? value.join(", ") : String(value)]);
  };
  walk(parameters, "");
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
            {parameterEntries(parameters).map(([label, value]) => (
              <Entry key={label} label={label} value={value} />
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
