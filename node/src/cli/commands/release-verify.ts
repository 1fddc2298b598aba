/**
 * `ns-llm release verify <package> --manifest <release.json> [--key <pem>]`: checks a downloaded
 * package against a signed release: the signature (by the key this node shipped with, or --key),
 * then the package's size and sha256. Exit 0 only when both hold.
 */
import { readFile } from "node:fs/promises";
import { ReleaseError, trustedReleaseKey, verifyArtifact, verifyRelease } from "../../release/index.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError, UserError } from "../errors.ts";

const usage = "release verify <package> --manifest <release.json> [--key <pem>] [--json]";

const command: Command = {
  name: "release verify",
  usage,
  summary: "check a downloaded package against a signed release manifest",
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { manifest: { type: "string" }, key: { type: "string" }, json: { type: "boolean", default: false } },
      { positionals: true, usage: `usage: ns-llm ${usage}` },
    );
    const [file, ...extra] = positionals;
    if (!file || extra.length > 0 || !values.manifest) throw new UsageError("release verify takes one package file and --manifest <release.json>", `usage: ns-llm ${usage}`);
    try {
      const key = await trustedReleaseKey(values.key);
      const bytes = await readFile(values.manifest).catch((error: NodeJS.ErrnoException) => {
        throw new UserError(`cannot read ${values.manifest}: ${error.code ?? error.message}`, "check the path");
      });
      const { manifest, keyId } = verifyRelease({ bytes, trustedKeys: [key] });
      const artifact = await verifyArtifact({ file, manifest });
      output(values.json!, { ok: true, version: manifest.version, keyId, artifact }, () =>
        console.log(`ok  ${artifact.file}  ns-llm ${manifest.version} ${artifact.platform} ${artifact.format}  ${artifact.size} bytes  sha256 ${artifact.sha256}\n    signed by ${keyId}`),
      );
    } catch (error) {
      if (error instanceof ReleaseError) throw new UserError(error.message, error.hint);
      throw error;
    }
  },
};

export default command;
