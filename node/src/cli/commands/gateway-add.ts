import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError, UserError } from "../errors.ts";
import { loadConfig } from "../../config.ts";
import { openDatabase } from "../../db/index.ts";
import { openDocumentStore, tableDocuments } from "../../gateway/index.ts";
import { loadDocuments, type SearchDocument } from "../../search/index.ts";

/**
 * A file named on the command line that is a table: a .csv, a .md (its pipe tables as rows, its
 * prose as sections), or a .json holding an array (rows); other .json files stay manifests, and
 * files found in folders are read as before (Markdown sections, manifests). A bad table stops the command before anything is kept.
 */
async function tableFile(file: string): Promise<SearchDocument[] | undefined> {
  if (!(await stat(file).catch(() => undefined))?.isFile()) return undefined;
  if (file.endsWith(".csv")) return tableDocuments(path.basename(file), "csv", await readFile(file, "utf8"));
  if (file.endsWith(".md")) return tableDocuments(path.basename(file), "markdown", await readFile(file, "utf8"));
  if (file.endsWith(".json")) {
    const text = await readFile(file, "utf8");
    if (text.trimStart().startsWith("[")) return tableDocuments(path.basename(file), "json", text);
  }
  return undefined;
}

const command: Command = {
  name: "gateway add",
  usage: "gateway add <file|folder> ...",
  summary: "add Markdown, manifest, CSV or JSON-rows documents to the gateway's search collection",
  async run(args) {
    const parsed = parseCommandArgs(args, { json: { type: "boolean", default: false } }, { positionals: true });
    if (parsed.positionals.length === 0) throw new UsageError("gateway add needs at least one file or folder");
    const docs: SearchDocument[] = [];
    const rest: string[] = [];
    for (const p of parsed.positionals.map((f) => path.resolve(f))) {
      let table: SearchDocument[] | undefined;
      try {
        table = await tableFile(p);
      } catch (error) {
        throw new UserError(`${path.basename(p)}: ${(error as Error).message}`, "nothing was added");
      }
      if (table) docs.push(...table);
      else rest.push(p);
    }
    if (rest.length > 0) docs.push(...(await loadDocuments(rest)));
    if (docs.length === 0) throw new UserError("no .md, .json or .csv documents found there", "pass Markdown or CSV files or folders holding them");
    const db = openDatabase(path.join(loadConfig().home, "gateway", "gateway.db"));
    try {
      const store = openDocumentStore(db);
      store.add(docs);
      output(parsed.values.json!, { added: docs.length, total: store.count() }, () =>
        console.log(`added ${docs.length} document sections (${store.count()} in the collection); a running gateway picks them up within seconds`),
      );
    } finally {
      db.close();
    }
  },
};

export default command;
