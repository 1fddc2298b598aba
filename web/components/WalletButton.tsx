"use client";
import { useConnect, useDisconnect } from "wagmi";
import { shortAddress } from "@/lib/format.ts";
import { useWallet } from "@/lib/use-wallet.ts";
import { Badge } from "./ui/Badge.tsx";
import { Button } from "./ui/Button.tsx";

/** The header's wallet control: connect with a discovered wallet, or show who is connected. */
export function WalletButton() {
  const wallet = useWallet();
  const connect = useConnect();
  const disconnect = useDisconnect();

  switch (wallet.status) {
    case "loading":
      return null;
    case "no-wallet":
      return <Badge tone="warn" testId="wallet-none">No wallet found</Badge>;
    case "connecting":
      return <Badge tone="info">Connecting…</Badge>;
    case "disconnected":
      return (
        <div className="row">
          {wallet.wallets.map((connector) => (
            <Button key={connector.uid} variant="primary" size="small" disabled={connect.isPending} onClick={() => connect.mutate({ connector })} data-testid="connect-wallet">
              {connector.icon && <img src={connector.icon} alt="" width={16} height={16} />}
              Connect {connector.name}
            </Button>
          ))}
        </div>
      );
    case "wrong-chain":
    case "ready":
      return (
        <div className="row">
          <Badge tone={wallet.status === "ready" ? "good" : "warn"} testId="wallet-address">
            {shortAddress(wallet.address)}
          </Badge>
          <Button size="small" onClick={() => disconnect.mutate({ connector: wallet.connector })}>
            Disconnect
          </Button>
        </div>
      );
  }
}
