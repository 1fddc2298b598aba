"use client";
import { useEffect, useState } from "react";
import type { Address } from "viem";
import { useConnection, useConnectors, type Connector } from "wagmi";
import { useApp } from "./app-context.tsx";

/**
 * The wallet's situation as a person meets it: no wallet in this browser, not connected,
 * connecting, connected to another chain, or ready on the app's chain.
 */
export type WalletState =
  | { status: "loading" }
  | { status: "no-wallet" }
  | { status: "disconnected"; wallets: readonly Connector[] }
  | { status: "connecting" }
  | { status: "wrong-chain"; address: Address; walletChainId: number; connector: Connector }
  | { status: "ready"; address: Address; connector: Connector };

function useMounted(): boolean {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return mounted;
}

/** Wallets announced by EIP-6963, else the legacy window.ethereum one when present. */
export function useWallets(): readonly Connector[] {
  const connectors = useConnectors();
  const announced = connectors.filter((c) => c.id !== "injected");
  if (announced.length > 0) return announced;
  const legacy = typeof window !== "undefined" && (window as { ethereum?: unknown }).ethereum;
  return legacy ? connectors.filter((c) => c.id === "injected") : [];
}

export function useWallet(): WalletState {
  const mounted = useMounted();
  const connection = useConnection();
  const wallets = useWallets();
  const { chain } = useApp();
  if (!mounted) return { status: "loading" };
  if (connection.status === "connected") {
    if (connection.chainId !== chain.id) return { status: "wrong-chain", address: connection.address, walletChainId: connection.chainId, connector: connection.connector };
    return { status: "ready", address: connection.address, connector: connection.connector };
  }
  if (connection.status === "connecting" || connection.status === "reconnecting") return { status: "connecting" };
  if (wallets.length === 0) return { status: "no-wallet" };
  return { status: "disconnected", wallets };
}
