/**
 * Serving: what stands between the HTTP API and the engines. Admission (the generation scheduler,
 * the embedding micro-batcher), the generation and embedding services, the governed deny filter,
 * the record of every answer in the audit log, and `GovernedState`, the one owner of the governed
 * parameters. Refusals are domain errors with codes; HTTP statuses are the server's business.
 */
export { createGenerationService, type AnswerOrigin, type GenerationInput, type GenerationOutcome, type GenerationRequest, type GenerationService } from "./generation-service.ts";
export { createEmbeddingService, type EmbeddingOutcome, type EmbeddingRequest, type EmbeddingService } from "./embedding-service.ts";
export { createVisionService, MAX_IMAGES_PER_REQUEST, type VisionOutcome, type VisionService } from "./vision-service.ts";
export { createEmbeddingBatcher, type EmbeddingBatcher, type EmbeddingBatchResult, type EmbeddingLimits } from "./embedding-batcher.ts";
export {
  clampOutputTokens,
  ClientGoneError,
  createScheduler,
  DEFAULT_SCHEDULER_LIMITS,
  QueueFullError,
  RequestTimeoutError,
  SchedulerClosedError,
  type Scheduler,
  type SchedulerLimits,
  type SchedulerStats,
} from "./scheduler.ts";
export {
  DEFAULT_LIMITS,
  GovernedState,
  type GovernedAuditBatch,
  type GovernedGeneration,
  type GovernedSource,
  type GovernedStateOptions,
  type LimitCeilings,
  type LimitDefaults,
} from "./governed-state.ts";
export { createAnswerRecorder, sha256OfVectors, type AnswerRecorder, type AuditRequestEntry, type AuditSink } from "./answer-record.ts";
export { DenyFilter } from "./deny-filter.ts";
export { AuditUnavailableError, countRejection, InvalidRequestError, UnavailableError } from "./errors.ts";
export { Canary, CANARY_DEFAULTS, canarySettings, CanaryRollback, judge as judgeCanary, type CanaryHooks, type CanaryLease, type CanarySample } from "./canary.ts";
export { createNodeStatus, generationBatching, modelDevices, type GovernanceStatusProvider, type ModelListing, type NodeStatus, type StatusProviders } from "./status.ts";
export { holdBackToolCall, mayBeCall, planTools, type ToolCall, type ToolChatMessage, type ToolChoice, type ToolPlan, type ToolSpec } from "./tool-calling.ts";
export { createModelDetails, type ModelDetails } from "./model-details.ts";
export { followGpuLayerCap, type FollowGpuLayerCapParameters, type GpuLayerCapFollower } from "./gpu-layer-cap.ts";
