import { readFile } from "node:fs/promises";
import path from "node:path";
import { REQUIRED_CONTRACTS, type Deployment } from "@ns-llm/contracts";
import { NsLlmError } from "../errors.ts";

/** The repository's deployments/ folder (the node package sits in <repo>/node). */
const REPO_DEPLOYMENTS = path.resolve(import.meta.dirname, "../../../deployments");

const REDEPLOY = "run `npm run deploy -- --network localhost` or set NS_LLM_DEPLOYMENT";

/**
 * Reads the contract addresses for `chainId`: the file NS_LLM_DEPLOYMENT names, else
 * `deployments/<chainId>.json` in the working directory, else in the repository.
 */
export async function loadDeployment(chainId: number, file?: string): Promise<Deployment> {
  const candidates = file
    ? [path.resolve(file)]
    : [path.resolve("deployments", `${chainId}.json`), path.join(REPO_DEPLOYMENTS, `${chainId}.json`)];
  for (const candidate of candidates) {
    let text: string;
    try {
      text = await readFile(candidate, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    const deployment = JSON.parse(text) as Deployment;
    for (const name of REQUIRED_CONTRACTS) {
      if (!deployment.contracts?.[name]?.address) throw new NsLlmError("no_deployment", `${candidate} has no address for ${name}`, { hint: REDEPLOY });
    }
    if (deployment.chainId !== chainId) {
      throw new NsLlmError("no_deployment", `${candidate} is for chain ${deployment.chainId}, the RPC serves chain ${chainId}`, { hint: REDEPLOY });
    }
    return deployment;
  }
  throw new NsLlmError("no_deployment", `no deployment for chain ${chainId} (looked in ${candidates.join(", ")})`, { hint: REDEPLOY });
}
