"use client";
import type { RegistryEntry } from "@/lib/chain-reads.ts";
import { describeError } from "@/lib/errors.ts";
import { diffManifests, type Manifest } from "@/lib/manifest.ts";
import { useManifest } from "@/lib/queries.ts";
import { Hex } from "./ui/Hex.tsx";
import { Notice } from "./ui/Notice.tsx";

function show(value: unknown): string {
  if (value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** How a proposed manifest differs from the one the registry holds now for the same role. */
export function ManifestDiff({ proposed, proposedCid, current }: { proposed: Manifest; proposedCid: string; current: RegistryEntry }) {
  const adopted = current.version > 0n;
  const currentManifest = useManifest(adopted && current.cid !== proposedCid ? current.cid : undefined, current.digest);
  if (!adopted) return <Notice testId="diff-first">Nothing is adopted for {current.role} yet: this would be its first manifest.</Notice>;
  if (current.cid === proposedCid) {
    return (
      <Notice tone="good" testId="registry-now">
        The registry holds this manifest for {current.role} now (version {String(current.version)}, CID <Hex value={current.cid} testId="registry-now-cid" />).
      </Notice>
    );
  }
  if (currentManifest.error) return <Notice tone="warn">The current manifest ({current.cid}) could not be fetched: {describeError(currentManifest.error)}</Notice>;
  if (!currentManifest.data) return <p className="muted">Loading the current manifest…</p>;
  const changes = diffManifests(currentManifest.data, proposed);
  return (
    <div className="stack" data-testid="diff">
      <p className="small muted">
        Compared with version {String(current.version)} (<Hex value={current.cid} />), which {current.role} runs now.
      </p>
      {changes.length === 0 ? (
        <p>Same content as the current manifest.</p>
      ) : (
        <table className="table">
          <thead>
            <tr><th>Field</th><th>Now</th><th>Proposed</th></tr>
          </thead>
          <tbody>
            {changes.map((change) => (
              <tr key={change.path}>
                <td><code>{change.path}</code></td>
                <td className="diff-before" style={{ whiteSpace: "pre-wrap" }}>{show(change.before)}</td>
                <td className="diff-after" style={{ whiteSpace: "pre-wrap" }}>{show(change.after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
