import { readFile } from "node:fs/promises";
import path from "node:path";
import { loadConfig } from "../../config.ts";
import { ManifestError, formatProblem, isModelManifest, manifestDigest, parseManifest } from "../../manifest/index.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { sourcePolicyOf } from "../store-context.ts";
import { UsageError, UserError } from "../errors.ts";

const command: Command = {
  name: "manifest validate",
  usage: "manifest validate <file> [--local]",
  summary: "check a manifest against the schema and this node's rules; prints its digest",
  async run(args) {
    const parsed = parseCommandArgs(args, { json: { type: "boolean", default: false }, local: { type: "boolean", default: false } }, { positionals: true });
    const json = parsed.values.json!;
    const [file, ...extra] = parsed.positionals;
    if (!file || extra.length > 0) throw new UsageError("manifest validate takes one manifest file");

    const bytes = await readManifestFile(file);
    const digest = manifestDigest(bytes);
    try {
      const config = loadConfig();
      // --local: a draft whose files come from this machine (models make-demo, models pull --from):
      // artifacts may name no source yet. A manifest for a vote needs one every node can fetch.
      const manifest = parseManifest(bytes, {
        maxTotalBytes: config.maxModelBytes,
        subject: path.basename(file),
        sourcePolicy: sourcePolicyOf(config),
        ...(parsed.values.local ? { requireSources: false } : {}),
      });
      const totalBytes = isModelManifest(manifest) ? manifest.model.artifacts.reduce((sum, a) => sum + a.size, 0) : 0;
      output(json, { ok: true, file, name: manifest.name, role: manifest.role, digest, totalBytes }, () =>
        console.log(`ok  ${manifest.name}  role=${manifest.role}  digest=${digest}`),
      );
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      output(json, { ok: false, file, digest, code: error.code, problems: error.problems }, () => {
        for (const problem of error.problems) console.error(`  ${formatProblem(problem)}`);
      });
      const count = error.problems.length;
      throw new UserError(`${file} is not a valid manifest (${count} problem${count === 1 ? "" : "s"})`, json ? "see problems in the output" : "see the list above");
    }
  },
};

/** The file's bytes, or a one-line error a person can act on. */
export async function readManifestFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new UserError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, "check the path");
  }
}

export default command;
