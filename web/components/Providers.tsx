"use client";
import { useEffect, useMemo, useState, type ReactNode } from "react";
import { QueryClient, QueryClientProvider, useQueryClient } from "@tanstack/react-query";
import { createConfig, http, useBlockNumber, WagmiProvider } from "wagmi";
import { injected } from "wagmi/connectors";
import type { AppConfig } from "@/lib/app-config.ts";
import { AppContext } from "@/lib/app-context.tsx";
import { chainFor } from "@/lib/chain.ts";
import { setNodeToken } from "@/lib/node-http.ts";

const NODE_URL_KEY = "ns-llm.nodeUrl";

/** Refreshes every chain read when a block is mined, so the page follows the chain. */
function BlockWatcher() {
  const queryClient = useQueryClient();
  // An object `watch` needs `enabled: true`: wagmi reads `watch.enabled`, not the object's presence.
  const { data: blockNumber } = useBlockNumber({ watch: { enabled: true, pollingInterval: 1000 } });
  useEffect(() => {
    if (blockNumber !== undefined) void queryClient.invalidateQueries({ queryKey: ["chain"] });
  }, [blockNumber, queryClient]);
  return null;
}

export function Providers({ config, children }: { config: AppConfig; children: ReactNode }) {
  // Before any query runs: requests to the default node carry its token, requests elsewhere never.
  // In the browser only (the server's module state is shared by every visitor).
  useState(() => typeof window !== "undefined" && setNodeToken(config.nodeUrl, config.nodeToken));
  const [{ wagmi, queryClient, chain }] = useState(() => {
    const chain = chainFor(config.chainId || 31337, config.rpcUrl);
    const wagmi = createConfig({
      chains: [chain],
      transports: { [chain.id]: http(config.rpcUrl) },
      // Wallets announce themselves by EIP-6963; `injected()` covers one that only sets window.ethereum.
      connectors: [injected()],
      multiInjectedProviderDiscovery: true,
      ssr: true,
      pollingInterval: 1000,
    });
    const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: 1000, retry: 1, refetchOnWindowFocus: false } } });
    return { wagmi, queryClient, chain };
  });

  const [nodeUrl, setNodeUrlState] = useState(config.nodeUrl);
  useEffect(() => {
    const saved = window.localStorage.getItem(NODE_URL_KEY);
    if (saved) setNodeUrlState(saved);
  }, []);
  const context = useMemo(
    () => ({
      config,
      chain,
      nodeUrl,
      setNodeUrl: (url: string) => {
        const value = url.trim() || config.nodeUrl;
        if (value === config.nodeUrl) window.localStorage.removeItem(NODE_URL_KEY);
        else window.localStorage.setItem(NODE_URL_KEY, value);
        setNodeUrlState(value);
      },
    }),
    [config, chain, nodeUrl],
  );

  return (
    <WagmiProvider config={wagmi}>
      <QueryClientProvider client={queryClient}>
        <AppContext.Provider value={context}>
          {config.deployment && <BlockWatcher />}
          {children}
        </AppContext.Provider>
      </QueryClientProvider>
    </WagmiProvider>
  );
}
