"use client";
import type { Hex as HexString } from "viem";
import { describeError } from "@/lib/errors.ts";
import { ManifestIntegrityError } from "@/lib/node-api.ts";
import type { VerifiedRelease } from "@/lib/queries.ts";
import { ReleaseFormatError, releaseProblem, type ReleaseKey } from "@/lib/release.ts";
import { Hex } from "./ui/Hex.tsx";
import { Notice } from "./ui/Notice.tsx";

export type ReleaseCheckStatus = "verified" | "unsigned-check" | "mismatch" | "malformed" | "bad-signature" | "unavailable" | "pending";

type Query = { data?: VerifiedRelease; error: Error | null };

/** Where the browser's check of a release proposal stands. */
export function releaseCheckStatus(query: Query): ReleaseCheckStatus {
  if (query.data) {
    if (query.data.check.status === "valid") return "verified";
    return query.data.check.status === "invalid" ? "bad-signature" : "unsigned-check";
  }
  if (query.error instanceof ManifestIntegrityError) return "mismatch";
  if (query.error instanceof ReleaseFormatError) return "malformed";
  return query.error ? "unavailable" : "pending";
}

/** Why voting is disabled for this release (wrong bytes, not a release, a bad signature); undefined otherwise. */
export function releaseVoteBlock(query: Query): string | undefined {
  switch (releaseCheckStatus(query)) {
    case "mismatch":
      return "The release file the node returned does not match the proposal's digest (see the proposed release below): voting is disabled on this page.";
    case "malformed":
      return `The proposal adopts for role release a file that is not a signed release (${query.error!.message}): every node would refuse it, so voting is disabled on this page.`;
    case "bad-signature":
      return `${releaseProblem(query.data!)} Voting is disabled on this page.`;
    default:
      return undefined;
  }
}

/**
 * What this browser found for a release proposal: the bytes against the calldata's CID and digest,
 * the file's shape, and its Ed25519 signature; then, apart and secondary, the key the node says
 * its running version ships.
 */
export function ReleaseCheck({ query, cid, digest, nodeKey }: { query: Query; cid: string; digest: HexString; nodeKey: ReleaseKey | null | "unknown" | undefined }) {
  const status = releaseCheckStatus(query);
  if (status === "pending") return <p className="muted small" data-testid="release-check" data-status="pending">Fetching the release file and checking it in this browser…</p>;
  if (status === "mismatch" || status === "malformed") {
    return (
      <div data-testid="release-check" data-status={status}>
        <Notice tone="bad" testId="release-problem">
          {status === "mismatch" ? <strong>Do not trust this node.</strong> : <strong>Not a signed release.</strong>} {query.error!.message}
          {status === "mismatch" && " Change the node URL in Settings to one you trust."}
        </Notice>
      </div>
    );
  }
  if (status === "unavailable") {
    return (
      <div data-testid="release-check" data-status="unavailable">
        <Notice tone="warn">The release file <Hex value={cid} /> could not be fetched through the node, so this browser could not check it: {describeError(query.error!)}</Notice>
      </div>
    );
  }
  const release = query.data!;
  const signer = release.signature.keyId;
  return (
    <div className="stack" data-testid="release-check" data-status={status}>
      <Notice tone="good" testId="release-bytes-ok">
        Checked in this browser: the file hashes to <Hex value={release.digest} testId="release-computed-digest" />, the digest in the proposal
        {release.cidChecked ? <>, and is the content of CID <Hex value={cid} /></> : <> (the CID {cid} names a multi-block file whose CID the browser does not rebuild)</>}; it is a
        well-formed signed release. Calldata digest <Hex value={digest} />.
      </Notice>
      {release.check.status === "valid" && (
        <Notice tone="good" testId="release-signature-ok">
          Signature verified in this browser (Ed25519): key <Hex value={signer} full /> signed exactly this release
          {release.check.source === "proposal" ? " (its public key is in the proposal's description and hashes to that id)" : " (its public key, as the node reported it, hashes to that id)"}.
          Compare that key id with the project's published release key.
        </Notice>
      )}
      {release.check.status === "invalid" && (
        <Notice tone="bad" testId="release-problem">
          <strong>Bad signature.</strong> {releaseProblem(release)}
        </Notice>
      )}
      {release.check.status === "no-key" && (
        <Notice tone="warn" testId="release-no-key">
          The signature names key <Hex value={signer} full />, whose public key neither the proposal's description nor the node gives, so this browser could not check the signature.
          Every node still checks it against the key its running version ships before it downloads anything.
        </Notice>
      )}
      <p className="small muted" data-testid="release-node-key" data-match={nodeKey && nodeKey !== "unknown" ? String(nodeKey.id === signer) : "unknown"}>
        As reported by the node:{" "}
        {nodeKey === undefined
          ? "…"
          : nodeKey === "unknown"
            ? "it did not say which release key its version ships (its /health did not answer)."
            : nodeKey === null
            ? "it ships no release key (it was not started from a package), so it does not follow releases."
            : nodeKey.id === signer
              ? <>its running version ships this same key (<Hex value={nodeKey.id} />): nodes of that version trust its signer (and check the signature themselves).</>
              : <>its running version ships another key (<Hex value={nodeKey.id} />): nodes of that version would refuse this release (release_untrusted_key).</>}
      </p>
    </div>
  );
}
