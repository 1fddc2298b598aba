"use client";
/**
 * One transaction's life for a person: simulate (so a revert is decoded before the wallet asks),
 * sign, pending, then mined or failed, with the revert reason decoded from every contract's errors.
 *
 * A call is prepared where it is written, with `contractCall`: there its contract's ABI types the
 * function name and arguments (a wrong name or argument does not compile); what is sent is its
 * calldata.
 */
import { useCallback, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import {
  BaseError,
  decodeErrorResult,
  encodeFunctionData,
  RawContractError,
  type Abi,
  type Address,
  type ContractFunctionName,
  type EncodeFunctionDataParameters,
  type Hash,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { useConfig, type Config } from "wagmi";
import { call as ethCall, sendTransaction, waitForTransactionReceipt } from "wagmi/actions";
import { allErrorsAbi } from "./abi.ts";
import { ContractRevertError, describeError } from "./errors.ts";

export type TransactionState =
  | { status: "idle" }
  | { status: "signing"; label: string }
  | { status: "pending"; label: string; hash: Hash }
  | { status: "mined"; label: string; hash: Hash; blockNumber: bigint }
  | { status: "failed"; label: string; message: string; hash?: Hash };

/** A contract call ready to simulate and send: its target, calldata and sender. */
export type PreparedCall = { to: Address; data: Hex; account: Address };

/** Prepares a call of `functionName` on the contract at `address`; `abi` types the name and arguments. */
export function contractCall<const abi extends Abi, functionName extends ContractFunctionName<abi>>(
  address: Address,
  account: Address,
  parameters: EncodeFunctionDataParameters<abi, functionName>,
): PreparedCall {
  return { to: address, data: encodeFunctionData(parameters), account };
}

/**
 * Simulates against the pending block: that is the block the transaction lands in, so its
 * timestamp counts (a proposal right after a delegation reads the votes at `clock() - 1`, which
 * the latest block does not have yet). Falls back to the latest block on an RPC without "pending".
 */
async function simulate(config: Config, prepared: PreparedCall): Promise<void> {
  try {
    await ethCall(config, { ...prepared, blockTag: "pending" });
  } catch (error) {
    const reverted = revertOf(error);
    if (reverted) throw reverted;
    try {
      await ethCall(config, prepared);
    } catch (again) {
      throw revertOf(again) ?? again;
    }
  }
}

/** The decoded custom error of a reverted call, or undefined when `error` is not a revert with data. */
function revertOf(error: unknown): ContractRevertError | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const raw = error.walk((e) => e instanceof RawContractError);
  const data = raw instanceof RawContractError && typeof raw.data === "string" ? raw.data : undefined;
  if (!data || data === "0x") return undefined;
  try {
    const decoded = decodeErrorResult({ abi: allErrorsAbi, data });
    return new ContractRevertError(decoded.errorName, decoded.args ?? [], "inputs" in decoded.abiItem ? decoded.abiItem.inputs : []);
  } catch {
    return undefined;
  }
}

export function useTransaction() {
  const config = useConfig();
  const queryClient = useQueryClient();
  const [state, setState] = useState<TransactionState>({ status: "idle" });

  const send = useCallback(
    async (label: string, prepared: PreparedCall): Promise<TransactionReceipt | undefined> => {
      setState({ status: "signing", label });
      let hash: Hash | undefined;
      try {
        await simulate(config, prepared);
        hash = await sendTransaction(config, prepared);
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
