import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PublicClient } from "viem";
import { CONTRACT_NAMES, type ContractName, type Deployment } from "@ns-llm/contracts";
import { addNodeReports, contractsOnChain, deployContracts, type DeployContractsParameters, type DeployContractsReturnType } from "./deployContracts.ts";

export const DEPLOYMENTS_DIR = path.resolve(import.meta.dirname, "../deployments");

export function deploymentPath(chainId: number, dir = DEPLOYMENTS_DIR): string {
  return path.join(dir, `${chainId}.json`);
}

/** The deployment recorded for `chainId`, or undefined when there is none. */
export async function readDeployment(chainId: number, dir = DEPLOYMENTS_DIR): Promise<Deployment | undefined> {
  try {
    return JSON.parse(await readFile(deploymentPath(chainId, dir), "utf8")) as Deployment;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Writes the deployment file atomically (a crash never leaves half a file). */
export async function writeDeployment(deployment: Deployment, dir = DEPLOYMENTS_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = deploymentPath(deployment.chainId, dir);
  await writeFile(`${file}.tmp`, `${JSON.stringify(deployment, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return file;
}

export type EnsureDeployedParameters = DeployContractsParameters & {
  /** Deploy afresh even when the recorded contracts are on the chain. */
  fresh?: boolean;
  dir?: string;
};

export type EnsureDeployedReturnType = {
  deployment: DeployContractsReturnType;
  file: string;
  /** True when the recorded contracts were on the chain and kept. */
  reused: boolean;
  /** Contracts deployed beside a reused record that predates them. */
  added: ContractName[];
};

/**
 * Reuses the contracts recorded in `deployments/<chainId>.json` when their code is on the chain;
 * deploys afresh when it is not (a new dev chain has the same chain id and none of the code), or
 * when `fresh` is set, and records the result. A record from before NodeReports existed keeps its
 * contracts and gains a NodeReports, so a live network's governance is never replaced.
 */
export async function ensureDeployed(parameters: EnsureDeployedParameters): Promise<EnsureDeployedReturnType> {
  const { publicClient, fresh = false, dir = DEPLOYMENTS_DIR } = parameters;
  const chainId = await publicClient.getChainId();
  const recorded = await readDeployment(chainId, dir);
  if (!fresh && recorded) {
    const present = await contractsOnChain(publicClient as PublicClient, recorded);
    if (present.length === CONTRACT_NAMES.length) {
      // Every contract has code, so every address is recorded.
      return { deployment: recorded as DeployContractsReturnType, file: deploymentPath(chainId, dir), reused: true, added: [] };
    }
    const missing = CONTRACT_NAMES.filter((name) => !present.includes(name));
    if (missing.length === 1 && missing[0] === "NodeReports" && !recorded.contracts.NodeReports) {
      const deployment = await addNodeReports({ ...parameters, deployment: recorded });
      return { deployment, file: await writeDeployment(deployment, dir), reused: true, added: ["NodeReports"] };
    }
  }
  const deployment = await deployContracts(parameters);
  return { deployment, file: await writeDeployment(deployment, dir), reused: false, added: [] };
}
