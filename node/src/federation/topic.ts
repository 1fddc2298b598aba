/**
 * The gossip topic of a manifest set: a hash of its canonical JSON, so nodes that run different
 * adoptions are on different topics and never see each other's answers; the receiving side still
 * checks the set in every message (a peer may publish on any topic).
 */
import { createHash } from "node:crypto";
import { FEDERATION_TOPIC_PREFIX, type FederationManifestSet } from "@ns-llm/contracts";
import { canonicalJson } from "../audit/canonical.ts";

export function federationTopic(set: FederationManifestSet): string {
  return `${FEDERATION_TOPIC_PREFIX}${createHash("sha256").update(canonicalJson(set)).digest("hex").slice(0, 32)}`;
}

export function sameManifests(a: FederationManifestSet, b: FederationManifestSet): boolean {
  return a.generation === b.generation && a.embedding === b.embedding && a.parameters === b.parameters;
}
