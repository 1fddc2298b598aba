export { createGateway, type CreateGatewayParameters, type Gateway } from "./create-gateway.ts";
export { openDocumentStore, type DocumentStore } from "./documents.ts";
export { openSemanticCache, type SemanticCache, type CachedAnswer } from "./semantic-cache.ts";
