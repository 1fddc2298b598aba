"use client";
import type { RegistryEntry } from "@/lib/chain-reads.ts";
import { describeError } from "@/lib/errors.ts";
import { formatTimestamp } from "@/lib/format.ts";
import { ManifestIntegrityError } from "@/lib/node-api.ts";
import { manifestProblem } from "@/lib/manifest-problem.ts";
import { useManifest, useRegistry } from "@/lib/queries.ts";
import { Card } from "./ui/Card.tsx";
import { Hex } from "./ui/Hex.tsx";
import { Notice } from "./ui/Notice.tsx";
import { documentName } from "@/lib/manifest.ts";

/** What the network runs now: the registry's current manifest for each role. */
export function RegistryCard() {
  const { data, error } = useRegistry();
  return (
    <Card title="What the network runs" testId="registry">
      {error && <Notice tone="bad">{describeError(error)}</Notice>}
      {data && (
        <table className="table">
          <thead>
            <tr>
              <th>Role</th>
              <th>Version</th>
              <th>Manifest</th>
              <th>CID</th>
              <th>Adopted</th>
            </tr>
          </thead>
          <tbody>
            {data.map((entry) => (
              <RegistryRow key={entry.role} entry={entry} />
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function RegistryRow({ entry }: { entry: RegistryEntry }) {
  const adopted = entry.version > 0n;
  const manifest = useManifest(adopted ? entry.cid : undefined, entry.digest);
  return (
    <tr data-testid={`registry-${entry.role}`}>
      <td>{entry.role}</td>
      <td className="num">{adopted ? `v${entry.version}` : "—"}</td>
      <td>{!adopted ? <span className="muted">nothing adopted yet</span> : manifest.data ? documentName(manifest.data) : <span className="muted" style={manifest.error instanceof ManifestIntegrityError ? { color: "var(--bad)" } : undefined}>{manifestProblem(manifest.error)}</span>}</td>
      <td>{adopted ? <Hex value={entry.cid} testId={`registry-cid-${entry.role}`} /> : "—"}</td>
      <td className="small">{adopted ? formatTimestamp(entry.adoptedAt) : ""}</td>
    </tr>
  );
}
