export { createGateway, type CreateGatewayParameters, type Gateway } from "./create-gateway.ts";
export { openDocumentStore, type DocumentStore } from "./documents.ts";
export { openSemanticCache, type SemanticCache, type CachedAnswer } from "./semantic-cache.ts";
export { formatOfName, markdownTables, TABLE_LIMITS, TableError, tableDocuments, type TableFormat } from "./tables.ts";
