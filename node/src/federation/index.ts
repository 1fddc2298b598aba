export { createFederation, type Federation, type LocalAnswer, type FederationLimits, type RefusalReason } from "./federation.ts";
export { decodeMessage, encodeMessage, DEFAULT_MAX_MESSAGE_BYTES } from "./codec.ts";
export { recordBytes, recordCid, signRecord, verifyRecord } from "./record.ts";
export { federationTopic, sameManifests } from "./topic.ts";
export { createFederationLibp2p, type FederationLibp2p } from "./libp2p-node.ts";
export { localAnswer } from "./local-answer.ts";
export { anchoredOperators, type AnchorReader } from "./anchored-operators.ts";
