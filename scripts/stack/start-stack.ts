/**
 * The whole local stack, in order: a Hardhat network, the contracts (deployed, or reused when on
 * the chain), the NS-LLM node with the demo models, the genesis adoptions through the governor,
 * the gateway, and the dApp. Each step prints one progress line; `stop()` ends every child.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Address } from "viem";
import { modelRegistryAbi, roleId, type Deployment, type Role } from "@ns-llm/contracts";
import { ensureDeployed } from "../../deploy/deployments.ts";
import { DEV_CHAIN_ID, settingsFor } from "../../deploy/settings.ts";
import { devAccounts, publicClientFor, unlockedWallet } from "../../node/src/chain/index.ts";
import { demoGenesis, type DemoGenesis, type GenesisRole } from "../../node/src/demo/index.ts";
import { devPass, proposeAdoption } from "../../node/src/governance/index.ts";
import { devAccountsWithKeys, type DevAccount } from "./dev-accounts.ts";
import { assertPortFree, StackError } from "./ports.ts";
import { httpOk, startService, type Service } from "./service.ts";
import { ensureWebBuild, nextBin, REPO_ROOT, WEB_DIR } from "./web.ts";

export type StackPorts = { chain: number; node: number; gateway: number; web: number };

export type StartStackParameters = {
  ports: StackPorts;
  /** NS_LLM_HOME: node data, gateway data, logs. */
  home: string;
  /** Where deployments/<chainId>.json go. */
  deploymentsDir: string;
  /** false skips the dApp (build and server). */
  web?: boolean;
  /** The dApp's build folder under web/. */
  webDistDir?: string;
  /** One line per step. */
  progress?: (line: string) => void;
  /** The API token of the node and the gateway; default a new random one. */
  apiToken?: string;
};

export type Stack = {
  urls: { chain: string; node: string; gateway: string; web: string | undefined };
  deployment: Deployment;
  deploymentFile: string;
  /** The node's and the gateway's API token (the dApp has it too). */
  apiToken: string;
  genesis: DemoGenesis;
  accounts: DevAccount[];
  services: Service[];
  logDir: string;
  stop(): Promise<void>;
};

const GENESIS_ORDER: GenesisRole[] = ["parameters", "embedding", "generation"];

export async function startStack(p: StartStackParameters): Promise<Stack> {
  const progress = p.progress ?? (() => {});
  const withWeb = p.web !== false;
  const logDir = path.join(p.home, "logs");
  const host = "127.0.0.1";
  const urls = {
    chain: `http://${host}:${p.ports.chain}`,
    node: `http://${host}:${p.ports.node}`,
    gateway: `http://${host}:${p.ports.gateway}`,
    web: withWeb ? `http://${host}:${p.ports.web}` : undefined,
  };
  await assertPortFree(p.ports.chain, "NS_LLM_CHAIN_PORT");
  await assertPortFree(p.ports.node, "NS_LLM_PORT");
  await assertPortFree(p.ports.gateway, "NS_LLM_GATEWAY_PORT");
  if (withWeb) await assertPortFree(p.ports.web, "NS_LLM_WEB_PORT");

  // Every write to the node and the gateway needs it; the dApp gets it from its server.
  const apiToken = p.apiToken ?? randomBytes(32).toString("hex");
  const services: Service[] = [];
  const stop = async () => {
    for (const service of services.splice(0).reverse()) await service.stop();
  };
  const step = async <T>(label: string, run: () => Promise<T>, done?: (value: T) => string): Promise<T> => {
    const started = Date.now();
    const value = await run();
    progress(`✓ ${label.padEnd(28)} ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s${done ? `  ${done(value)}` : ""}`);
    return value;
  };
  const nodeCli = path.join(REPO_ROOT, "node/bin/ns-llm.js");

  try {
    // 1. The chain.
    const publicClient = publicClientFor(urls.chain, 200);
    services.push(
      await step("Hardhat network", () =>
        startService({
          name: "chain",
          command: process.execPath,
          args: [path.join(REPO_ROOT, "node_modules/hardhat/dist/src/cli.js"), "node", "--port", String(p.ports.chain), "--hostname", host],
          cwd: REPO_ROOT,
          logDir,
          ready: async () => (await publicClient.getChainId()) > 0,
        }),
      ),
    );

    // 2. The contracts.
    const chainId = await publicClient.getChainId();
    const accounts = await devAccounts(urls.chain);
    const wallets = accounts.slice(0, 5).map((a) => unlockedWallet(urls.chain, a, chainId));
    const { deployment, file: deploymentFile, reused } = await step(
      "contracts",
      () => ensureDeployed({ publicClient, deployer: wallets[0]!, contributors: chainId === DEV_CHAIN_ID ? wallets : [], settings: settingsFor(chainId), dir: p.deploymentsDir }),
      (r) => (r.reused ? "reused" : `deployed, 5 contributors with 1,000 NSG each`),
    );
    void reused;

    // 3. The node, serving the demo models and publishing them to its IPFS.
    const genesis = await step("demo models and manifests", () => demoGenesis(path.join(p.home, "demo")));
    const keys = devAccountsWithKeys(5);
    const shared = {
      NS_LLM_HOME: p.home,
      NS_LLM_HOST: host,
      NS_LLM_PORT: String(p.ports.node),
      NS_LLM_API_TOKEN: apiToken,
      // The dApp's origin may send writes (publishing manifests); other pages may not.
      NS_LLM_CORS_ORIGINS: process.env.NS_LLM_CORS_ORIGINS ?? (withWeb ? `http://127.0.0.1:${p.ports.web},http://localhost:${p.ports.web}` : ""),
    };
    const nodeEnv = {
      ...shared,
      NS_LLM_RPC_URL: urls.chain,
      NS_LLM_DEPLOYMENT: deploymentFile,
      // The dev chain's first account anchors the audit log.
      NS_LLM_OPERATOR_KEY: process.env.NS_LLM_OPERATOR_KEY ?? keys[0]!.privateKey,
      // Proposal dry-runs: idle until a proposal to adopt a model, then one sandbox process for it.
      NS_LLM_DRY_RUN: process.env.NS_LLM_DRY_RUN ?? "1",
    };
    services.push(
      await step("NS-LLM node", () =>
        startService({ name: "node", command: process.execPath, args: [nodeCli, "serve", "--demo"], cwd: REPO_ROOT, env: nodeEnv, logDir, ready: () => httpOk(`${urls.node}/health`) }),
      ),
    );

    // 4. Genesis: the demo manifests adopted through the governor, so chain and node agree.
    await step(
      "genesis adoptions",
      async () => {
        let proposed = 0;
        for (const role of GENESIS_ORDER) {
          const entry = genesis[role];
          const [, cid] = await publicClient.readContract({ address: deployment.contracts.ModelRegistry.address, abi: modelRegistryAbi, functionName: "current", args: [roleId(role)] });
          if (cid === entry.cid) continue;
          const { proposalId } = await proposeAdoption({ publicClient, wallet: wallets[0]!, deployment, role, cid: entry.cid, digest: entry.digest, name: entry.name });
          await devPass({ publicClient, rpcUrl: urls.chain, deployment, proposalId, voters: accounts.slice(0, 5) as Address[] });
          proposed++;
        }
        await waitUntil(async () => {
          const response = await fetch(`${urls.node}/api/governance`);
          const state = (await response.json()) as { applied?: Partial<Record<Role, { cid: string }>> };
          return GENESIS_ORDER.every((role) => state.applied?.[role]?.cid === genesis[role].cid);
        }, 120_000, "the node did not apply the genesis manifests (see its log)");
        return proposed;
      },
      (n) => (n > 0 ? `${n} proposals passed and applied` : "already adopted"),
    );

    // 5. The gateway.
    services.push(
      await step("gateway", () =>
        startService({
          name: "gateway",
          command: process.execPath,
          args: [nodeCli, "gateway", "--port", String(p.ports.gateway)],
          cwd: REPO_ROOT,
          // Not the node's environment: the gateway needs no key (undefined removes one the
          // operator's shell may have exported).
          // The chain and deployment the node follows: the gateway routes only to nodes in sync with them.
          env: { ...shared, NS_LLM_NODE_URL: urls.node, NS_LLM_RPC_URL: urls.chain, NS_LLM_DEPLOYMENT: deploymentFile, NS_LLM_OPERATOR_KEY: undefined },
          logDir,
          ready: () => httpOk(`${urls.gateway}/health`),
        }),
      ),
    );

    // 6. The dApp.
    if (withWeb) {
      const distDir = p.webDistDir ?? ".next";
      await step("dApp build", () => ensureWebBuild(distDir, path.join(logDir, "web-build.log")), (r) => (r.reused ? "reused" : "built"));
      services.push(
        await step("dApp", () =>
          startService({
            name: "web",
            command: process.execPath,
            args: [nextBin(), "start", "-p", String(p.ports.web), "-H", host],
            cwd: WEB_DIR,
            env: {
              NS_LLM_WEB_DIST_DIR: distDir,
              NEXT_TELEMETRY_DISABLED: "1",
              NS_LLM_RPC_URL: urls.chain,
              NEXT_PUBLIC_NS_LLM_RPC_URL: urls.chain,
              NS_LLM_NODE_URL: urls.node,
              NEXT_PUBLIC_NS_LLM_NODE_URL: urls.node,
              // The dashboard charts the semantic cache from the gateway's /metrics.
              NS_LLM_GATEWAY_URL: urls.gateway,
              NEXT_PUBLIC_NS_LLM_GATEWAY_URL: urls.gateway,
              NS_LLM_DEPLOYMENT: deploymentFile,
              // Server side only (not NEXT_PUBLIC_): put in the page for loopback visitors.
              NS_LLM_API_TOKEN: apiToken,
              NS_LLM_OPERATOR_KEY: undefined,
            },
            logDir,
            ready: () => httpOk(urls.web!),
          }),
        ),
      );
    }

    return { urls, deployment, deploymentFile, apiToken, genesis, accounts: keys, services, logDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new StackError(message, "see the logs folder");
}
