"use client";
import type { ReleaseManifest, ReleaseSignature } from "@ns-llm/contracts";
import { formatBytes } from "@/lib/format.ts";
import { Hex } from "./ui/Hex.tsx";

/** A release for a person: its version, each platform's package (file, format, size, sha256, sources) and who signed it. */
export function ReleaseView({ manifest, signature }: { manifest: ReleaseManifest; signature: ReleaseSignature }) {
  return (
    <div className="stack" data-testid="release">
      <dl className="kv">
        <dt>Release</dt>
        <dd data-testid="release-version"><strong>ns-llm {manifest.version}</strong></dd>
        <dt>Signed by key</dt>
        <dd><Hex value={signature.keyId} full testId="release-key-id" /></dd>
        <dt>Packages</dt>
        <dd>{manifest.artifacts.length} ({formatBytes(manifest.artifacts.reduce((sum, a) => sum + a.size, 0))} together)</dd>
      </dl>
      <table className="table" data-testid="release-artifacts">
        <thead>
          <tr><th>Platform</th><th>File</th><th>Format</th><th>Size</th><th>sha256</th><th>Node</th><th>Sources</th></tr>
        </thead>
        <tbody>
          {manifest.artifacts.map((artifact) => (
            <tr key={artifact.file} data-testid="release-artifact">
              <td>{artifact.platform}</td>
              <td><code>{artifact.file}</code></td>
              <td>{artifact.format}</td>
              <td className="num" title={`${artifact.size} bytes`}>{formatBytes(artifact.size)}</td>
              <td><Hex value={artifact.sha256} /></td>
              <td>{artifact.node}</td>
              <td className="small">
                {artifact.sources.length === 0 ? <span className="muted">none (handed over)</span> : artifact.sources.map((source) => <div key={source}><code>{source}</code></div>)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
