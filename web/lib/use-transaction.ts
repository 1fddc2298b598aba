"use client";
/**
 * One transaction's life for a person: simulate (so a revert is decoded before the wallet asks),
 * sign, pending, then mined or failed, with the revert reason decoded from every contract's errors.
 */
import { useCallback, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import type { Abi, Address, Hash, TransactionReceipt } from "viem";
import { useConfig } from "wagmi";
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

export function useTransaction() {
  const config = useConfig();
  const queryClient = useQueryClient();
  const [state, setState] = useState<TransactionState>({ status: "idle" });

  const send = useCallback(
    async (label: string, call: ContractCall): Promise<TransactionReceipt | undefined> => {
      setState({ status: "signing", label });
      let hash: Hash | undefined;
      try {
        const { request } = await simulateContract(config, { ...call, abi: withAllErrors(call.abi) } as never);
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
