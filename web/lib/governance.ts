import { decodeFunctionData, isAddressEqual, type Abi, type Address, type Hex } from "viem";
import { modelRegistryAbi, nsGovernorAbi, nsTokenAbi, nsTimelockAbi, roleFromId, type Deployment, type Role } from "@ns-llm/contracts";

// A proposal's description is written once, in the shared package: `ns-llm propose` writes the same.
export { adoptionDescription, releaseDescription } from "@ns-llm/contracts";

/** The first line of a description, without Markdown's heading marks. */
export function descriptionTitle(description: string): string {
  const line = description.split("\n").find((l) => l.trim() !== "") ?? "";
  return line.replace(/^#+\s*/, "").trim();
}

/** One action of a proposal, decoded for a person. */
export type DecodedAction =
  | { kind: "adopt"; target: Address; value: bigint; role: Role | undefined; roleId: Hex; cid: string; digest: Hex }
  | { kind: "call"; target: Address; value: bigint; contract: string; functionName: string; args: readonly unknown[] }
  | { kind: "raw"; target: Address; value: bigint; calldata: Hex };

/** Decodes each action's calldata with the ABI of the contract it targets. */
export function decodeActions(deployment: Deployment, targets: readonly Address[], values: readonly bigint[], calldatas: readonly Hex[]): DecodedAction[] {
  const known: [string, Address, Abi][] = [
    ["ModelRegistry", deployment.contracts.ModelRegistry.address, modelRegistryAbi],
    ["NSGovernor", deployment.contracts.NSGovernor.address, nsGovernorAbi],
    ["NSToken", deployment.contracts.NSToken.address, nsTokenAbi],
    ["NSTimelock", deployment.contracts.NSTimelock.address, nsTimelockAbi],
  ];
  return targets.map((target, i) => {
    const value = values[i] ?? 0n;
    const calldata = calldatas[i] ?? "0x";
    const match = known.find(([, address]) => isAddressEqual(address, target));
    if (!match) return { kind: "raw", target, value, calldata };
    try {
      if (match[0] === "ModelRegistry") {
        const decoded = decodeFunctionData({ abi: modelRegistryAbi, data: calldata });
        if (decoded.functionName === "adopt") {
          const [roleId, cid, digest] = decoded.args;
          return { kind: "adopt", target, value, role: roleFromId(roleId), roleId, cid, digest };
        }
        return { kind: "call", target, value, contract: match[0], functionName: decoded.functionName, args: decoded.args ?? [] };
      }
      const decoded = decodeFunctionData({ abi: match[2], data: calldata });
      return { kind: "call", target, value, contract: match[0], functionName: decoded.functionName, args: decoded.args ?? [] };
    } catch {
      return { kind: "raw", target, value, calldata };
    }
  });
}

/** The adoption a proposal makes, when its actions hold exactly one. */
export function adoptionOf(actions: readonly DecodedAction[]): Extract<DecodedAction, { kind: "adopt" }> | undefined {
  const adoptions = actions.filter((a): a is Extract<DecodedAction, { kind: "adopt" }> => a.kind === "adopt");
  return adoptions.length === 1 ? adoptions[0] : undefined;
}
