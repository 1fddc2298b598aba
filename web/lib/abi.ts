import type { Abi } from "viem";
import { auditAnchorAbi, modelRegistryAbi, nsGovernorAbi, nsTimelockAbi, nsTokenAbi } from "@ns-llm/contracts";

type AbiError = Extract<Abi[number], { type: "error" }>;

/**
 * Every custom error of every contract, once each. A call into the governor can revert with the
 * timelock's or the registry's error, so each write decodes its revert against all of them.
 */
export const allErrorsAbi: readonly AbiError[] = (() => {
  const seen = new Map<string, AbiError>();
  for (const abi of [nsGovernorAbi, nsTokenAbi, nsTimelockAbi, modelRegistryAbi, auditAnchorAbi] as readonly Abi[]) {
    for (const item of abi) {
      if (item.type !== "error") continue;
      const signature = `${item.name}(${item.inputs.map((input) => input.type).join(",")})`;
      if (!seen.has(signature)) seen.set(signature, item);
    }
  }
  return [...seen.values()];
})();

/** `abi` with every contract's errors added, so a revert from any of them decodes. */
export function withAllErrors<const T extends Abi>(abi: T): readonly [...T, ...AbiError[]] {
  const own = new Set(abi.flatMap((item) => (item.type === "error" ? [item.name] : [])));
  return [...abi, ...allErrorsAbi.filter((item) => !own.has(item.name))];
}
