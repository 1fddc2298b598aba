"use client";
import type { Hex as HexString } from "viem";
import { describeError } from "@/lib/errors.ts";
import { ManifestIntegrityError, type VerifiedManifest } from "@/lib/node-api.ts";
import { Hex } from "./ui/Hex.tsx";
import { Notice } from "./ui/Notice.tsx";

export type ManifestCheckStatus = "verified" | "mismatch" | "unavailable" | "pending";

/** Where the check of a proposal's manifest stands, from the verified-manifest query. */
export function manifestCheckStatus(query: { data?: VerifiedManifest; error: Error | null }): ManifestCheckStatus {
  if (query.data) return "verified";
  if (query.error instanceof ManifestIntegrityError) return "mismatch";
  return query.error ? "unavailable" : "pending";
}

/**
 * What this browser found when it hashed the manifest the node returned: the bytes match the CID
 * and digest in the proposal's calldata, or they do not (then nothing of them is shown, and voting
 * is blocked: the node is showing something other than what would be adopted).
 */
export function ManifestCheck({ query, cid, digest }: { query: { data?: VerifiedManifest; error: Error | null }; cid: string; digest: HexString }) {
  const status = manifestCheckStatus(query);
  if (status === "pending") return <p className="muted small" data-testid="manifest-check" data-status="pending">Fetching the manifest and hashing it in this browser…</p>;
  if (status === "mismatch") {
    return (
      <div data-testid="manifest-check" data-status="mismatch">
        <Notice tone="bad" testId="manifest-mismatch">
          <strong>Do not trust this node.</strong> {query.error!.message} Voting is disabled here until the manifest fetched matches the proposal; change the node URL in
          Settings to one you trust.
        </Notice>
      </div>
    );
  }
  if (status === "unavailable") {
    return (
      <div data-testid="manifest-check" data-status="unavailable">
        <Notice tone="warn">
          The manifest <Hex value={cid} /> could not be fetched through the node, so this browser could not check it: {describeError(query.error!)}
        </Notice>
      </div>
    );
  }
  const verified = query.data!;
  return (
    <div data-testid="manifest-check" data-status="verified">
      <Notice tone="good">
        Checked in this browser: the bytes hash to <Hex value={verified.digest} testId="manifest-computed-digest" />, the digest in the proposal
        {verified.cidChecked ? (
          <>
            , and are the content of CID <Hex value={cid} />.
          </>
        ) : (
          <> (the CID {cid} names a multi-block file whose CID the browser does not rebuild; the digest is what every node checks).</>
        )}{" "}
        Calldata digest <Hex value={digest} />.
      </Notice>
    </div>
  );
}
