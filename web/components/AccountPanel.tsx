"use client";
import { useState } from "react";
import { isAddress, isAddressEqual, zeroAddress, type Address } from "viem";
import { useConnect, useSwitchChain } from "wagmi";
import { nsTokenAbi } from "@ns-llm/contracts";
import { useApp, useDeployment } from "@/lib/app-context.tsx";
import { describeError } from "@/lib/errors.ts";
import { formatTokens, shortAddress } from "@/lib/format.ts";
import { useAccountState } from "@/lib/queries.ts";
import { contractCall, useTransaction } from "@/lib/use-transaction.ts";
import { useWallet } from "@/lib/use-wallet.ts";
import { Button } from "./ui/Button.tsx";
import { Card } from "./ui/Card.tsx";
import { Notice } from "./ui/Notice.tsx";
import { TxStatus } from "./ui/TxStatus.tsx";

/** The connected person's standing: wallet, chain, tokens, delegation and voting power. */
export function AccountPanel() {
  const wallet = useWallet();
  const { chain } = useApp();
  const connect = useConnect();
  const switchChain = useSwitchChain();

  return (
    <Card title="Your account" testId="account-panel">
      {wallet.status === "loading" && <p className="muted">…</p>}
      {wallet.status === "no-wallet" && (
        <Notice tone="warn" testId="state-no-wallet">
          <p><strong>No wallet found.</strong> Install a browser wallet that announces itself (EIP-6963), such as MetaMask or Rabby, to vote and propose.</p>
          <p>You can read every proposal without one.</p>
        </Notice>
      )}
      {wallet.status === "disconnected" && (
        <div className="stack" data-testid="state-disconnected">
          <p className="muted small">Connect a wallet to vote, propose and delegate.</p>
          {wallet.wallets.map((connector) => (
            <Button key={connector.uid} variant="primary" onClick={() => connect.mutate({ connector })} disabled={connect.isPending}>
              Connect {connector.name}
            </Button>
          ))}
          {connect.error && <Notice tone="bad">{describeError(connect.error)}</Notice>}
        </div>
      )}
      {wallet.status === "connecting" && <p className="muted">Connecting…</p>}
      {wallet.status === "wrong-chain" && (
        <div className="stack" data-testid="state-wrong-chain">
          <Notice tone="warn">
            Your wallet is on chain {wallet.walletChainId}. This app runs on <strong>{chain.name}</strong> (chain {chain.id}).
          </Notice>
          <Button variant="primary" onClick={() => switchChain.mutate({ chainId: chain.id })} disabled={switchChain.isPending} data-testid="switch-chain">
            Switch to {chain.name}
          </Button>
          {switchChain.error && <Notice tone="bad">{describeError(switchChain.error)}</Notice>}
        </div>
      )}
      {wallet.status === "ready" && <ConnectedAccount address={wallet.address} />}
    </Card>
  );
}

function ConnectedAccount({ address }: { address: Address }) {
  const deployment = useDeployment();
  const { data: account, error } = useAccountState(address);
  const tx = useTransaction();
  const [editing, setEditing] = useState(false);
  const [target, setTarget] = useState("");

  if (error) return <Notice tone="bad">{describeError(error)}</Notice>;
  if (!account) return <p className="muted">Loading…</p>;

  const delegated = !isAddressEqual(account.delegate, zeroAddress);
  const toSelf = delegated && isAddressEqual(account.delegate, address);
  const delegate = (to: Address) =>
    tx
      .send(to === address ? "Delegate to yourself" : `Delegate to ${shortAddress(to)}`, contractCall(deployment.contracts.NSToken.address, address, { abi: nsTokenAbi, functionName: "delegate", args: [to] }))
      .then((receipt) => receipt && setEditing(false));
  const targetValid = isAddress(target);

  return (
    <div className="stack" data-testid="state-ready">
      <dl className="kv">
        <dt>Address</dt>
        <dd><code title={address}>{shortAddress(address)}</code></dd>
        <dt>Balance</dt>
        <dd data-testid="token-balance">{formatTokens(account.balance)}</dd>
        <dt>Delegated to</dt>
        <dd data-testid="delegate">{!delegated ? "nobody" : toSelf ? "yourself" : <code title={account.delegate}>{shortAddress(account.delegate)}</code>}</dd>
        <dt>Voting power</dt>
        <dd data-testid="voting-power">{formatTokens(account.votes)}</dd>
        <dt>Gas</dt>
        <dd>{formatTokens(account.eth, "ETH")}</dd>
      </dl>
      {account.balance === 0n && <p className="muted small">You hold no NSG, so you cannot vote yet.</p>}
      {!delegated && (
        <Notice tone="warn" testId="state-not-delegated">
          Your tokens are not counted as votes until you delegate them — to yourself or to someone you trust.
        </Notice>
      )}
      {delegated && account.votes < account.threshold && (
        <p className="muted small">Proposing needs {formatTokens(account.threshold)} of voting power.</p>
      )}
      {(!delegated || editing) && (
        <div className="stack">
          {!toSelf && (
            <Button variant="primary" onClick={() => delegate(address)} disabled={tx.busy} data-testid="delegate-self">
              Delegate to myself
            </Button>
          )}
          <div className="row">
            <input placeholder="or to 0x… address" value={target} onChange={(e) => setTarget(e.target.value)} aria-label="Delegate to address" style={{ flex: 1, minWidth: 0 }} />
            <Button onClick={() => delegate(target as Address)} disabled={tx.busy || !targetValid}>
              Delegate
            </Button>
          </div>
        </div>
      )}
      {delegated && !editing && (
        <Button size="small" onClick={() => setEditing(true)}>
          Change delegate
        </Button>
      )}
      <TxStatus state={tx.state} />
    </div>
  );
}
