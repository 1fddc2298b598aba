"use client";
import { createContext, useContext } from "react";
import type { Chain } from "viem";
import type { Deployment } from "@ns-llm/contracts";
import type { AppConfig } from "./app-config.ts";

export type AppContextValue = {
  config: AppConfig;
  chain: Chain;
  /** The node URL in use: the person's setting, else the server's default. */
  nodeUrl: string;
  setNodeUrl: (url: string) => void;
};

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error("useApp() outside <Providers>");
  return value;
}

/** The deployment; only components rendered under a known deployment call this. */
export function useDeployment(): Deployment {
  const { config } = useApp();
  if (!config.deployment) throw new Error("no deployment");
  return config.deployment;
}
