/**
 * The federated cache (issue 17) as the node runs it: off unless the operator gives listen
 * addresses or bootstrap peers; keyed by the manifest set the node serves with (as a gateway keys
 * its cache), so only peers running the same adoptions share a topic; answers the node computed
 * are announced once recorded, signed by the operator key (without one the node only listens).
 */
import path from "node:path";
import type { FederationManifestSet, FederationStatus } from "@ns-llm/contracts";
import type { Registry } from "prom-client";
import { privateKeyToAccount } from "viem/accounts";
import { connectAnchor } from "../audit/index.ts";
import type { Config } from "../config.ts";
import { anchoredOperators, createFederation, localAnswer, type Federation } from "../federation/index.ts";
import { parametersKey } from "../gateway/cache-key.ts";
import type { IpfsClient } from "../ipfs/index.ts";
import type { GovernedState, NodeStatus } from "../serving/index.ts";

/** What `/api/federation` says of a node that runs no federation. */
export const FEDERATION_OFF: FederationStatus = {
  enabled: false,
  reason: "off (set NS_LLM_FEDERATION_LISTEN and/or NS_LLM_FEDERATION_BOOTSTRAP)",
  peerId: null,
  addresses: [],
  topic: null,
  manifests: null,
  operator: null,
  peers: 0,
  topicPeers: 0,
  store: { entries: 0, bytes: 0, maxEntries: 0, maxBytes: 0 },
};

/** What the node serves with, as a gateway keys its cache: model manifests (else names) and the parameters' key. */
export function federationManifestsOf(status: Pick<NodeStatus, "models" | "governance">, governed: Pick<GovernedState, "parameters">): () => FederationManifestSet {
  return () => {
    const listed = status.models();
    const role = (r: string) => {
      const m = listed.find((l) => l.role === r);
      return m ? (m.manifest ?? m.name) : null;
    };
    const applied = status.governance().applied as Partial<Record<string, { cid?: string } | undefined>>;
    return { generation: role("generation"), embedding: role("embedding"), parameters: parametersKey(applied.parameters?.cid, governed.parameters) };
  };
}

export type OpenFederationParameters = {
  config: Pick<Config, "federation" | "home" | "operatorKey" | "rpcUrl" | "deploymentFile">;
  /** Whether the node follows a chain ("anchored" operators are read from it). */
  chain: boolean;
  manifests: () => FederationManifestSet;
  registry: Registry;
  ipfs: Pick<IpfsClient, "addBytes">;
  log: (line: string) => void;
};

/** Starts the federation when the operator configured one; undefined when it is off. */
export async function openFederation(p: OpenFederationParameters): Promise<Federation | undefined> {
  const { listen, bootstrap, operators } = p.config.federation;
  if (!listen.length && !bootstrap.length) return undefined;
  if (operators === "anchored" && !p.chain) throw new Error("NS_LLM_FEDERATION_OPERATORS=anchored needs the chain (it reads who anchors audit batches): drop --no-chain or the setting");
  const { rpcUrl, deploymentFile, operatorKey } = p.config;
  return createFederation({
    listen,
    bootstrap,
    keyDir: path.join(p.config.home, "federation"),
    account: operatorKey ? privateKeyToAccount(operatorKey) : undefined,
    manifests: p.manifests,
    ...(operators === "anchored" ? { acceptOperator: anchoredOperators(async () => connectAnchor({ rpcUrl, ...(deploymentFile ? { deploymentFile } : {}) })) } : {}),
    registry: p.registry,
    putBlock: (bytes) => p.ipfs.addBytes(bytes),
    log: p.log,
  });
}

/** The generation service's `onAnswer`: announces a recorded answer once a federation runs (it starts after the service exists). */
export function announcer(federation: () => Federation | undefined, manifests: () => FederationManifestSet, log: (line: string) => void) {
  return (request: Parameters<typeof localAnswer>[0], outcome: Parameters<typeof localAnswer>[1]): void => {
    const running = federation();
    if (!running) return;
    const answer = localAnswer(request, outcome, manifests());
    if (answer) void running.announce(answer).catch((error: unknown) => log(`federation: announce failed: ${(error as Error).message}`));
  };
}
