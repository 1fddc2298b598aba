/**
 * The chain's say on who is a node of the network: an operator that has anchored at least one
 * audit batch on the AuditAnchor contract of the chain this node follows. With
 * NS_LLM_FEDERATION_OPERATORS=anchored, a peer's answer is taken only when its (signature-checked)
 * operator is one of them. Answers are cached per operator: a yes for good (anchors are never
 * undone), a no or a chain that does not answer for `retryMs`; the cache is bounded.
 */
import { auditAnchorAbi } from "@ns-llm/contracts";
import type { Address, PublicClient } from "viem";

export type AnchorReader = { publicClient: PublicClient; address: Address };

export function anchoredOperators(connect: () => Promise<AnchorReader>, { retryMs = 30_000, maxOperators = 4096 } = {}): (operator: Address) => Promise<boolean> {
  let reader: Promise<AnchorReader> | undefined;
  const known = new Map<string, { anchored: boolean; at: number; pending?: Promise<boolean> }>();
  const ask = async (operator: Address) => {
    reader ??= connect().catch((error: unknown) => {
      reader = undefined; // the chain may come up later
      throw error;
    });
    const { publicClient, address } = await reader;
    return (await publicClient.readContract({ address, abi: auditAnchorAbi, functionName: "batchCount", args: [operator] })) > 0n;
  };
  return async (operator) => {
    const key = operator.toLowerCase();
    const entry = known.get(key);
    if (entry?.pending) return entry.pending;
    if (entry && (entry.anchored || Date.now() - entry.at < retryMs)) return entry.anchored;
    for (const [oldest] of known) {
      if (known.size < maxOperators) break;
      known.delete(oldest);
    }
    const pending = ask(operator).catch(() => false);
    known.set(key, { anchored: false, at: Date.now(), pending });
    const anchored = await pending;
    known.set(key, { anchored, at: Date.now() });
    return anchored;
  };
}
