import type { Deployment } from "@ns-llm/contracts";

/**
 * What the browser needs to know about where it runs, decided by the server at request time (the
 * dev chain is redeployed often, so nothing here is baked in at build time).
 */
export type AppConfig = {
  /** The chain the deployment lives on (or the chain the RPC answers with when there is none). */
  chainId: number;
  /** JSON-RPC URL the browser reads from (and, on the dev chain, drives the clock through). */
  rpcUrl: string;
  /** Default NS-LLM node URL; a person may change it in the settings. */
  nodeUrl: string;
  /** The gateway (semantic cache, search) whose /metrics the dashboard charts; null when none is configured. */
  gatewayUrl: string | null;
  /**
   * The default node's API token (NS_LLM_API_TOKEN; `npm start` makes one), sent to that node
   * only, never to a URL a person typed. Null when there is none, or when the page was not asked
   * for under a loopback name (a page that rebinds its name to this machine must not read it).
   */
  nodeToken: string | null;
  deployment: Deployment | null;
  /** Why there is no usable deployment, for a person. */
  problem: string | null;
  /** The heading shown above `problem`, when not the default ("The app cannot reach its contracts"). */
  problemTitle?: string;
};

export const DEV_CHAIN_ID = 31337;
export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";
export const DEFAULT_NODE_URL = "http://127.0.0.1:5555";
