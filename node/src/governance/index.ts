/** Governance: follow ModelRegistry, verify and apply adopted manifests, propose and pass adoptions. */
export { Follower, type FollowerEvent, type FollowerParameters, type GovernanceError, type GovernanceStatus } from "./follower.ts";
export { createChainFollowing, FollowError, type ChainFollowing, type ChainFollowingParameters } from "./follow-chain.ts";
export { APPLY_ORDER, type Adoption, type Applier } from "./types.ts";
export { FollowerState, type AppliedManifest, type Attempt, type AttemptStatus } from "./state.ts";
export { restoreApplied, type RestoreAppliedParameters, type RestoreAppliedReturnType } from "./restore.ts";
export { createApplier, type ApplierTarget, type LoadControl, type SmokeTest } from "./applier.ts";
export { AdoptionError, toAdoptionError } from "./errors.ts";
export { adoptionAction, devPass, proposalState, proposeAdoption } from "./proposals.ts";
export { createStorageUpkeep, type StorageUpkeep, type StorageUpkeepParameters, type StorageCollectReturnType } from "./storage-upkeep.ts";
export { DEFAULT_CONFIRMATIONS } from "./follow-chain.ts";
export { DEFAULT_MAX_TRIES } from "./follower.ts";
