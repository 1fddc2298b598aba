import path from "node:path";
import { makeDemoModels, makeDemoVision } from "../../demo/index.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { formatBytes } from "../progress.ts";

const command: Command = {
  name: "models make-demo",
  usage: "models make-demo --out DIR [--vision]",
  summary: "write the generated demo models and their manifests (byte-identical on every run)",
  async run(args) {
    const parsed = parseCommandArgs(args, { out: { type: "string" }, vision: { type: "boolean", default: false }, json: { type: "boolean", default: false } });
    if (!parsed.values.out) throw new UsageError("models make-demo needs --out DIR");
    const result = await makeDemoModels(parsed.values.out);
    // --vision: also the demo image encoder (the `vision` role), written from the demo text encoder's vectors.
    const vision = parsed.values.vision ? await makeDemoVision(result.dir) : undefined;
    if (vision) result.files.push(vision.file);
    const manifests = Object.fromEntries(
      Object.entries({ ...result.manifests, ...(vision ? { vision: vision.manifest } : {}) }).map(([role, m]) => [role, { file: m.file, name: m.manifest.name, digest: m.digest }]),
    );
    output(parsed.values.json!, { dir: result.dir, files: result.files, manifests }, () => {
      console.log(`demo models written to ${result.dir}`);
      for (const f of result.files) console.log(`  ${f.path.padEnd(28)} ${formatBytes(f.size).padStart(10)}  sha256 ${f.sha256}`);
      for (const [role, m] of Object.entries(manifests)) {
        console.log(`  ${path.relative(result.dir, m.file).padEnd(28)} ${role.padStart(10)}  digest ${m.digest}`);
      }
    });
  },
};

export default command;
