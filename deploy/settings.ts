import type { GovernanceSettings } from "@ns-llm/contracts";
import { DeploymentSettingsError } from "./errors.ts";

/** The Hardhat network's chain id: dev accounts, dev tokens and a fast clock. */
export const DEV_CHAIN_ID = 31337;

/** A dev chain moves in minutes: a person can take a proposal to execution at once. */
export const DEV_SETTINGS: GovernanceSettings = {
  votingDelay: 1,
  votingPeriod: 300,
  proposalThreshold: (10n ** 18n).toString(),
  quorumNumerator: 4,
  lateQuorumExtension: 60,
  timelockDelay: 60,
};

/** A public chain moves in days, so every holder has time to see and vote. */
export const PUBLIC_SETTINGS: GovernanceSettings = {
  votingDelay: 86_400,
  votingPeriod: 604_800,
  proposalThreshold: (1_000n * 10n ** 18n).toString(),
  quorumNumerator: 4,
  lateQuorumExtension: 172_800,
  timelockDelay: 172_800,
};

/** The variable that overrides each setting at deployment. */
export const SETTINGS_ENV = {
  votingDelay: "NS_LLM_VOTING_DELAY",
  votingPeriod: "NS_LLM_VOTING_PERIOD",
  proposalThreshold: "NS_LLM_PROPOSAL_THRESHOLD",
  quorumNumerator: "NS_LLM_QUORUM_PERCENT",
  lateQuorumExtension: "NS_LLM_LATE_QUORUM_EXTENSION",
  timelockDelay: "NS_LLM_TIMELOCK_DELAY",
} as const satisfies Record<keyof GovernanceSettings, string>;

/** The preset for `chainId`, with any NS_LLM_* override from `env` applied. */
export function settingsFor(chainId: number, env: NodeJS.ProcessEnv = process.env): GovernanceSettings {
  const settings = { ...(chainId === DEV_CHAIN_ID ? DEV_SETTINGS : PUBLIC_SETTINGS) };
  for (const [key, variable] of Object.entries(SETTINGS_ENV) as [keyof GovernanceSettings, string][]) {
    const value = env[variable];
    if (value === undefined || value === "") continue;
    if (!/^\d+$/.test(value)) {
      const unit = key === "proposalThreshold" ? "NSG in wei" : key === "quorumNumerator" ? "a percentage of the supply" : "seconds";
      throw new DeploymentSettingsError(`${variable} must be a whole number, got "${value}"`, `it counts ${unit}`);
    }
    if (key === "proposalThreshold") settings[key] = value;
    else settings[key] = Number(value);
  }
  return settings;
}
