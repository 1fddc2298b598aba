/**
 * A real wallet in the page: an EIP-1193 provider injected with addInitScript and announced by
 * EIP-6963, whose requests go through exposeFunction to one of the Hardhat node's unlocked
 * accounts. Like a real wallet it remembers that the site was allowed (so a reload stays
 * connected), answers `eth_accounts` with [] until `eth_requestAccounts`, and can start on another
 * chain to show the app's switch offer.
 */
import type { BrowserContext } from "playwright-core";
import type { Address } from "viem";

export type TestWalletParameters = {
  rpcUrl: string;
  account: Address;
  /** The chain the wallet is on at first; `wallet_switchEthereumChain` moves it to `chainId`. */
  startChainId?: number;
  chainId: number;
};

export type TestWallet = { requests: string[] };

type Reply = { result?: unknown; error?: { code: number; message: string; data?: unknown }; events?: { name: string; payload: unknown }[] };

const hex = (n: number) => `0x${n.toString(16)}`;

export async function installWallet(context: BrowserContext, parameters: TestWalletParameters): Promise<TestWallet> {
  const { rpcUrl, account, chainId } = parameters;
  let currentChainId = parameters.startChainId ?? chainId;
  let allowed = false;
  const requests: string[] = [];

  const forward = async (method: string, params: unknown): Promise<Reply> => {
    const response = await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: params ?? [] }) });
    const body = (await response.json()) as { result?: unknown; error?: Reply["error"] };
    return body.error ? { error: body.error } : { result: body.result };
  };

  const handle = async (method: string, params: unknown[] | undefined): Promise<Reply> => {
    requests.push(method);
    switch (method) {
      case "eth_requestAccounts":
        allowed = true;
        return { result: [account], events: [{ name: "connect", payload: { chainId: hex(currentChainId) } }] };
      case "eth_accounts":
        return { result: allowed ? [account] : [] };
      case "eth_chainId":
        return { result: hex(currentChainId) };
      case "net_version":
        return { result: String(currentChainId) };
      case "wallet_requestPermissions":
      case "wallet_getPermissions":
        return { error: { code: 4200, message: `${method} is not supported by this wallet` } };
      case "wallet_revokePermissions":
        allowed = false;
        return { result: null };
      case "wallet_switchEthereumChain": {
        const wanted = Number(BigInt((params?.[0] as { chainId: string }).chainId));
        if (wanted !== chainId) return { error: { code: 4902, message: `chain ${wanted} is not known to this wallet` } };
        currentChainId = wanted;
        return { result: null, events: [{ name: "chainChanged", payload: hex(wanted) }] };
      }
      case "eth_sendTransaction": {
        if (!allowed) return { error: { code: 4100, message: "the site is not connected" } };
        if (currentChainId !== chainId) return { error: { code: 4901, message: "the wallet is on another chain" } };
        const [tx] = (params ?? []) as { from?: string }[];
        return forward(method, [{ ...tx, from: account }]);
      }
      default:
        return forward(method, params);
    }
  };

  await context.exposeFunction("__nsTestWalletRequest", async (json: string) => {
    const { method, params } = JSON.parse(json) as { method: string; params?: unknown[] };
    return JSON.stringify(await handle(method, params));
  });

  await context.addInitScript(() => {
    const listeners = new Map<string, Set<(payload: unknown) => void>>();
    const bridge = (window as unknown as { __nsTestWalletRequest: (json: string) => Promise<string> }).__nsTestWalletRequest;
    const provider = {
      isNsTestWallet: true,
      async request({ method, params }: { method: string; params?: unknown[] }) {
        const reply = JSON.parse(await bridge(JSON.stringify({ method, params }))) as {
          result?: unknown;
          error?: { code: number; message: string; data?: unknown };
          events?: { name: string; payload: unknown }[];
        };
        if (reply.error) throw Object.assign(new Error(reply.error.message), { code: reply.error.code, data: reply.error.data });
        for (const event of reply.events ?? []) setTimeout(() => listeners.get(event.name)?.forEach((fn) => fn(event.payload)), 0);
        return reply.result;
      },
      on(event: string, fn: (payload: unknown) => void) {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(fn);
        return provider;
      },
      removeListener(event: string, fn: (payload: unknown) => void) {
        listeners.get(event)?.delete(fn);
        return provider;
      },
    };
    const icon = "data:image/svg+xml;base64," + btoa('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="4" fill="#3b5bdb"/></svg>');
    const info = Object.freeze({ uuid: crypto.randomUUID(), name: "NS Test Wallet", icon, rdns: "org.ns-llm.test-wallet" });
    const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
    window.addEventListener("eip6963:requestProvider", announce);
    announce();
  });

  return { requests };
}
