/** Proposal dry-runs (issue 16): evaluate proposed models in a sandbox, report on chain. */
export { createDryRuns, type DryRuns, type DryRunsParameters } from "./dry-runs.ts";
export { evaluateProposal, median, type EvaluateProposalParameters, type ProposedAdoption } from "./evaluate-proposal.ts";
export { adoptionOf, type AdoptionAction } from "./proposal-action.ts";
export { encodeReport, publishReport, reportDigest, reportEvent, type DryRunReportEvent, type PublishedReport } from "./publish-report.ts";
export { runSandbox, type RunSandboxParameters, type SandboxOutcome } from "./sandbox.ts";
export { BUILTIN_SUITE, checkAnswer, suiteOf, type EvaluationSuite } from "./suite.ts";
export { createAdoptionReporter, type AdoptionReporter, type JudgedAdoption, type PublishedAdoptionReport } from "./adoption-report.ts";
