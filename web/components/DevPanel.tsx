"use client";
import { useState } from "react";
import { parseEther } from "viem";
import { useQueryClient } from "@tanstack/react-query";
import { DEV_CHAIN_ID } from "@/lib/app-config.ts";
import { useApp, useDeployment } from "@/lib/app-context.tsx";
import { advanceTime, giveDevTokens, mineBlocks } from "@/lib/dev-chain.ts";
import { formatTimestamp, shortAddress } from "@/lib/format.ts";
import { useChainTime } from "@/lib/queries.ts";
import { useWallet } from "@/lib/use-wallet.ts";
import { Button } from "./ui/Button.tsx";
import { Card } from "./ui/Card.tsx";
import { Notice } from "./ui/Notice.tsx";

type Outcome = { tone: "good" | "bad" | "info"; text: string } | null;

/** Dev chain (31337) only: move the clock, mine, hand out dev tokens. Renders nothing elsewhere. */
export function DevPanel() {
  const { config } = useApp();
  if (config.chainId !== DEV_CHAIN_ID || !config.deployment) return null;
  return <DevPanelBody />;
}

function DevPanelBody() {
  const { config } = useApp();
  const deployment = useDeployment();
  const wallet = useWallet();
  const queryClient = useQueryClient();
  const { data: time } = useChainTime();
  const [seconds, setSeconds] = useState("600");
  const [amount, setAmount] = useState("100");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);

  const run = async (what: string, action: () => Promise<string>) => {
    setBusy(true);
    setOutcome({ tone: "info", text: `${what}…` });
    try {
      setOutcome({ tone: "good", text: await action() });
      await queryClient.invalidateQueries({ queryKey: ["chain"] });
    } catch (error) {
      setOutcome({ tone: "bad", text: `${what} failed: ${(error as Error).message}` });
    } finally {
      setBusy(false);
    }
  };
  const advance = (s: number) => run("Advancing time", async () => {
    await advanceTime(config.rpcUrl, s);
    return `Advanced the clock by ${s} s and mined a block.`;
  });
  const address = wallet.status === "ready" || wallet.status === "wrong-chain" ? wallet.address : undefined;
  const amountValid = /^\d+(\.\d+)?$/.test(amount) && Number(amount) > 0;

  return (
    <Card title="Dev chain" actions={<span className="badge warn">31337 only</span>} testId="dev-panel">
      <div className="stack">
        <dl className="kv">
          <dt>Block</dt>
          <dd data-testid="chain-block">{time ? String(time.number) : "…"}</dd>
          <dt>Chain time</dt>
          <dd data-testid="chain-time">{time ? formatTimestamp(time.timestamp) : "…"}</dd>
        </dl>
        <div className="row">
          <Button size="small" disabled={busy} onClick={() => advance(60)}>+1 min</Button>
          <Button size="small" disabled={busy} onClick={() => advance(300)}>+5 min</Button>
          <Button size="small" disabled={busy} onClick={() => advance(3600)}>+1 h</Button>
          <Button size="small" disabled={busy} onClick={() => run("Mining", async () => (await mineBlocks(config.rpcUrl, 1), "Mined one block."))} data-testid="dev-mine">
            Mine block
          </Button>
        </div>
        <div className="row">
          <input aria-label="Seconds to advance" value={seconds} onChange={(e) => setSeconds(e.target.value)} style={{ width: "6rem" }} inputMode="numeric" data-testid="dev-seconds" />
          <Button size="small" disabled={busy || !/^\d+$/.test(seconds)} onClick={() => advance(Number(seconds))} data-testid="dev-advance">
            Advance seconds
          </Button>
        </div>
        <div className="row">
          <input aria-label="NSG to receive" value={amount} onChange={(e) => setAmount(e.target.value)} style={{ width: "6rem" }} inputMode="decimal" data-testid="dev-amount" />
          <Button
            size="small"
            disabled={busy || !address || !amountValid}
            title={address ? undefined : "Connect a wallet first"}
            onClick={() =>
              run("Sending dev tokens", async () => {
                const from = await giveDevTokens({ rpcUrl: config.rpcUrl, token: deployment.contracts.NSToken.address, to: address!, amount: parseEther(amount) });
                return `Sent ${amount} NSG from dev account ${shortAddress(from)}. Delegate them to vote.`;
              })
            }
            data-testid="dev-give-tokens"
          >
            Get NSG
          </Button>
        </div>
        {outcome && <Notice tone={outcome.tone} testId="dev-outcome">{outcome.text}</Notice>}
      </div>
    </Card>
  );
}
