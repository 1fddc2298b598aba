import { defineChain, type Chain } from "viem";
import { hardhat } from "viem/chains";
import { DEV_CHAIN_ID } from "./app-config.ts";

/** The chain the app talks to, with the RPC URL the server chose. */
export function chainFor(chainId: number, rpcUrl: string): Chain {
  const rpcUrls = { default: { http: [rpcUrl] } };
  if (chainId === DEV_CHAIN_ID) return { ...hardhat, name: "Hardhat (dev chain)", rpcUrls };
  return defineChain({ id: chainId, name: `Chain ${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls });
}
