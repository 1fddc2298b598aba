import { loadConfig } from "../../config.ts";
import { openModelStore, shortDigest } from "../../inference/store/index.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UserError } from "../errors.ts";
import { formatBytes } from "../progress.ts";

const command: Command = {
  name: "models verify",
  usage: "models verify",
  summary: "re-hash every stored blob; exit 1 and name the damaged ones",
  async run(args) {
    const parsed = parseCommandArgs(args, { json: { type: "boolean", default: false } });
    const json = parsed.values.json!;
    const store = openModelStore(loadConfig().home);
    const { blobs, bad } = await store.verify({
      onBlob: json
        ? undefined
        : (b) => console.log(b.ok ? `ok   ${shortDigest(b.sha256)}  ${formatBytes(b.size)}` : `BAD  ${b.sha256}  now hashes to ${b.actual}`),
    });
    output(json, { store: store.layout.root, ok: bad.length === 0, checked: blobs.length, blobs, bad: bad.map((b) => b.sha256) }, () =>
      console.log(`${blobs.length} blob${blobs.length === 1 ? "" : "s"} checked, ${bad.length} damaged`),
    );
    if (bad.length > 0) {
      throw new UserError(
        `${bad.length} damaged blob${bad.length === 1 ? "" : "s"}: ${bad.map((b) => b.sha256).join(", ")}`,
        `delete them from ${store.layout.blobs} and pull their manifests again`,
      );
    }
  },
};

export default command;
