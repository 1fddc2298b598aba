"use client";
/**
 * One transaction's life for a person: simulate (so a revert is decoded before the wallet asks),
 * sign, pending, then mined or failed, with the revert reason decoded from every contract's errors.
 */
import { useCallback, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { BaseError, ContractFunctionRevertedError, type Abi, type Address, type Hash, type TransactionReceipt } from "viem";
import { useConfig, type Config } from "wagmi";
import { simulateContract, waitForTransactionReceipt, writeContract } from "wagmi/actions";
import { withAllErrors } from "./abi.ts";
import { describeError } from "./errors.ts";

export type TransactionState =
  | { status: "idle" }
  | { status: "signing"; label: string }
  | { status: "pending"; label: string; hash: Hash }
  | { status: "mined"; label: string; hash: Hash; blockNumber: bigint }
  | { status: "failed"; label: string; message: string; hash?: Hash };

export type ContractCall = {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
  account: Address;
};

/**
 * Simulates against the pending block: that is the block the transaction lands in, so its
 * timestamp counts (a proposal right after a delegation reads the votes at `clock() - 1`, which
 * the latest block does not have yet). Falls back to the latest block on an RPC without "pending".
 */
async function simulate(config: Config, call: ContractCall) {
  const parameters = { ...call, abi: withAllErrors(call.abi) };
  try {
    return await simulateContract(config, { ...parameters, blockTag: "pending" } as never);
  } catch (error) {
    const reverted = error instanceof BaseError && error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted) throw error;
    return await simulateContract(config, parameters as never);
  }
}

export function useTransaction() {
  const config = useConfig();
  const queryClient = useQueryClient();
  const [state, setState] = useState<TransactionState>({ status: "idle" });

  const send = useCallback(
    async (label: string, call: ContractCall): Promise<TransactionReceipt | undefined> => {
      setState({ status: "signing", label });
      let hash: Hash | undefined;
      try {
        const { request } = await simulate(config, call);
        hash = await writeContract(config, request as never);
        setState({ status: "pending", label, hash });
        const receipt = await waitForTransactionReceipt(config, { hash, pollingInterval: 500 });
        if (receipt.status !== "success") {
          setState({ status: "failed", label, hash, message: `reverted on chain in block ${receipt.blockNumber}` });
          return undefined;
        }
        setState({ status: "mined", label, hash, blockNumber: receipt.blockNumber });
        await queryClient.invalidateQueries({ queryKey: ["chain"] });
        return receipt;
      } catch (error) {
        setState({ status: "failed", label, hash, message: describeError(error) });
        return undefined;
      }
    },
    [config, queryClient],
  );

  const busy = state.status === "signing" || state.status === "pending";
  return { state, send, busy, reset: () => setState({ status: "idle" }) };
}
