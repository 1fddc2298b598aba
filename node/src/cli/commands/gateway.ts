import path from "node:path";
import { parseCommandArgs, type Command } from "../command.ts";
import { UsageError, UserError } from "../errors.ts";
import { loadConfig } from "../../config.ts";
import { createGateway } from "../../gateway/index.ts";
import { chainAdoptionsReader, type ChainAdoptionsReader } from "../../client/index.ts";
import { loadDeployment, publicClientFor, redactRpcUrl } from "../../chain/index.ts";
import { loadDocuments } from "../../search/index.ts";
import { isLoopbackHost } from "../../server/index.ts";

const command: Command = {
  name: "gateway",
  usage: "gateway [--port P] [--node URL ...] [--no-chain] [--balance load|preference]",
  summary: "run the NS Node gateway: requests spread over nodes in sync with the chain, semantic cache, hybrid search, failover to search",
  async run(args) {
    const { values } = parseCommandArgs(args, {
      port: { type: "string" },
      host: { type: "string" },
      node: { type: "string", multiple: true },
      "no-chain": { type: "boolean" },
      balance: { type: "string" },
    });
    let config;
    try {
      config = loadConfig();
    } catch (error) {
      throw new UserError((error as Error).message, "fix the environment variables named above");
    }
    const port = Number(values.port ?? process.env.NS_LLM_GATEWAY_PORT ?? 3009);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${values.port}`);
    const host = values.host ?? config.host;
    if (!isLoopbackHost(host) && !config.apiToken) {
      throw new UserError(`refusing to listen on ${host} without NS_LLM_API_TOKEN`, "set NS_LLM_API_TOKEN, or bind 127.0.0.1");
    }
    const nodeUrls = values.node ?? (process.env.NS_LLM_NODE_URL ?? `http://127.0.0.1:${config.port}`).split(",");
    const balance = values.balance ?? "load";
    if (balance !== "load" && balance !== "preference") throw new UsageError(`--balance must be load or preference, got ${balance}`);
    const chain = values["no-chain"] ? undefined : await readChain(config.rpcUrl, config.deploymentFile);
    const gateway = await createGateway({
      nodeUrls,
      balance,
      chain,
      home: path.join(config.home, "gateway"),
      apiToken: config.apiToken,
      corsOrigins: config.corsOrigins,
      allowedHosts: config.allowedHosts,
      cacheSimilarity: fraction("NS_LLM_CACHE_SIMILARITY"),
      lexicalWeight: fraction("NS_LLM_SEARCH_LEXICAL_WEIGHT"),
      log: process.env.NS_LLM_DEBUG ? (line) => console.error(line) : undefined,
    });
    if (gateway.documents.count() === 0) {
      // A first start: seed the collection with the node's own documentation.
      gateway.documents.add(await loadDocuments());
      gateway.reindex();
    }
    const url = await gateway.app.listen({ port, host });
    console.log(`ns-llm gateway listening on ${url} (node ${nodeUrls.join(", ")}; ${balance === "load" ? "spread by load" : "in order of preference"}${chain ? `; only nodes in sync with registry ${chain.registry}` : ""})`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await gateway.close();
  },
};

/**
 * The registry the nodes must be in sync with: the deployment for the chain at NS_LLM_RPC_URL.
 * When the chain does not answer at start, the gateway runs without the check and says so
 * (a gateway in front of --no-chain nodes has none to make).
 */
async function readChain(rpcUrl: string, deploymentFile: string | undefined): Promise<ChainAdoptionsReader | undefined> {
  try {
    const publicClient = publicClientFor(rpcUrl, 1_000, { timeoutMs: 5_000, retryCount: 1 });
    const deployment = await loadDeployment(await publicClient.getChainId(), deploymentFile);
    const reader = chainAdoptionsReader(publicClient, deployment.contracts.ModelRegistry.address);
    // One read now: a deployment file of an earlier dev chain names a registry with no code, and
    // a gateway that can never read it would refuse every node.
    await reader.read();
    return reader;
  } catch (error) {
    console.error(`ns-llm gateway: not checking nodes against the chain (${redactRpcUrl(rpcUrl)}: ${(error as Error).message.split("\n")[0]}); pass --no-chain to silence this`);
    return undefined;
  }
}

/** An optional 0..1 setting from the environment; anything else is a usage error. */
function fraction(variable: string): number | undefined {
  const value = process.env[variable];
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${variable} must be a number from 0 to 1, got "${value}"`, `unset ${variable} or fix it`);
  return n;
}

export default command;
