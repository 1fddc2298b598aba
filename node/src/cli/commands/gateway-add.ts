import path from "node:path";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError, UserError } from "../errors.ts";
import { loadConfig } from "../../config.ts";
import { openDatabase } from "../../db/index.ts";
import { openDocumentStore } from "../../gateway/index.ts";
import { loadDocuments } from "../../search/index.ts";

const command: Command = {
  name: "gateway add",
  usage: "gateway add <file|folder> ...",
  summary: "add Markdown or manifest documents to the gateway's search collection",
  async run(args) {
    const parsed = parseCommandArgs(args, { json: { type: "boolean", default: false } }, { positionals: true });
    if (parsed.positionals.length === 0) throw new UsageError("gateway add needs at least one file or folder");
    const docs = await loadDocuments(parsed.positionals.map((p) => path.resolve(p)));
    if (docs.length === 0) throw new UserError("no .md or .json documents found there", "pass Markdown files or folders holding them");
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
