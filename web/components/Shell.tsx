"use client";
import type { ReactNode } from "react";
import { useApp } from "@/lib/app-context.tsx";
import { AccountPanel } from "./AccountPanel.tsx";
import { DevPanel } from "./DevPanel.tsx";
import { Header } from "./Header.tsx";
import { Card } from "./ui/Card.tsx";
import { Notice } from "./ui/Notice.tsx";

/** Header, the page, and the side column (account, dev chain); or why the app cannot start. */
export function Shell({ children }: { children: ReactNode }) {
  const { config } = useApp();
  return (
    <>
      <Header />
      <div className="layout">
        <main>
          {config.deployment ? (
            children
          ) : (
            <Card title={config.problemTitle ?? "The app cannot reach its contracts"}>
              <Notice tone="bad" testId="config-problem">{config.problem}</Notice>
            </Card>
          )}
        </main>
        <aside>
          {config.deployment && <AccountPanel />}
          <DevPanel />
        </aside>
      </div>
    </>
  );
}
