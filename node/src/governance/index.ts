/** Governance: follow ModelRegistry, verify and apply adopted manifests, propose and pass adoptions. */
export { Follower, type Adoption, type Applier, type FollowerEvent, type FollowerParameters, type GovernanceError, type GovernanceStatus } from "./follower.ts";
export { FollowerState, type AppliedManifest, type Attempt, type AttemptStatus } from "./state.ts";
export { APPLY_ORDER, restoreApplied, type RestoreAppliedParameters, type RestoreAppliedReturnType } from "./restore.ts";
export { createApplier, type ApplierTarget, type LoadControl, type SmokeTest } from "./applier.ts";
export { AdoptionError, toAdoptionError } from "./errors.ts";
export { adoptionAction, devPass, proposalState, proposeAdoption, PROPOSAL_STATES, type ProposalState } from "./proposals.ts";
export { demoGenesis, publishGenesis, type DemoGenesis, type GenesisManifest } from "./genesis.ts";
