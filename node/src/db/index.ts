/** The node's SQLite databases: how they are opened and migrated. */
export { migrate, openDatabase, type Migration, type OpenDatabaseParameters } from "./open.ts";
