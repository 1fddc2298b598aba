import { loadConfig } from "../../config.ts";
import { openModelStore, shortDigest } from "../../inference/store/index.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { formatBytes } from "../progress.ts";

const command: Command = {
  name: "models list",
  usage: "models list",
  summary: "what the model store holds: digest, size, and which manifests reference it",
  async run(args) {
    const parsed = parseCommandArgs(args, { json: { type: "boolean", default: false } });
    const store = openModelStore(loadConfig().home);
    const blobs = await store.list();
    output(parsed.values.json!, { store: store.layout.root, blobs }, () => {
      if (blobs.length === 0) {
        console.log(`the store is empty (${store.layout.root}); add models with: ns-llm models pull <manifest>`);
        return;
      }
      const rows = blobs.map((b) => [
        shortDigest(b.sha256),
        formatBytes(b.size),
        b.refs.length > 0 ? b.refs.map((r) => `${r.manifest}:${r.path}`).join(", ") : "-",
      ]);
      const table = [["DIGEST", "SIZE", "REFERENCED BY"], ...rows];
      const widths = [0, 1].map((i) => Math.max(...table.map((r) => r[i]!.length)));
      for (const row of table) console.log(`${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padStart(widths[1]!)}  ${row[2]}`);
    });
  },
};

export default command;
