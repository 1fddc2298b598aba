/**
 * `ns-llm plugin init <dir>`: writes a working plugin (the starter kit) into a new folder.
 * `ns-llm plugin check <dir|package>`: loads a plugin as a node would (its declaration, its
 * package digest, its worker) and calls each of its hooks once with a sample input.
 * `ns-llm plugin digest <dir|package>`: the package digest the governed `plugins` field names.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Registry } from "prom-client";
import { createPlugins, packageDigest, readPlugin, resolvePlugin } from "../../plugins/index.ts";
import { starterFiles } from "../../plugins/starter.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError, UserError } from "../errors.ts";

export const pluginInit: Command = {
  name: "plugin init",
  usage: "plugin init <dir> [--name NAME]",
  summary: "write a working plugin (hooks, a test) into a new folder",
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { name: { type: "string" }, json: { type: "boolean", default: false } }, { positionals: true, usage: this.usage });
    const dir = positionals[0];
    if (!dir || positionals.length > 1) throw new UsageError("plugin init takes one folder", this.usage);
    const folder = path.resolve(dir);
    const existing = await readdir(folder).catch(() => []);
    if (existing.length) throw new UserError(`${folder} is not empty`);
    const name = values.name ?? `ns-llm-plugin-${path.basename(folder).toLowerCase().replace(/[^a-z0-9._-]+/g, "-")}`;
    const files = starterFiles(name);
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(folder, rel)), { recursive: true });
      await writeFile(path.join(folder, rel), text);
    }
    const digest = await packageDigest(folder);
    output(values.json, { name, folder, files: Object.keys(files), digest }, () => {
      console.log(`wrote ${name} in ${folder}: ${Object.keys(files).join(", ")}`);
      console.log(`digest ${digest}`);
      console.log(`next: cd ${dir} && npm test; then NS_LLM_PLUGINS=${path.isAbsolute(dir) ? dir : `./${dir}`} npx ns-llm serve --demo --no-chain`);
    });
  },
};

export const pluginCheck: Command = {
  name: "plugin check",
  usage: "plugin check <dir|package> [--json]",
  summary: "load a plugin as a node would and call each hook once",
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: "boolean", default: false } }, { positionals: true, usage: this.usage });
    const spec = positionals[0];
    if (!spec) throw new UsageError("plugin check takes a folder or a package name", this.usage);
    const pkg = await readPlugin(await resolvePlugin(spec, process.cwd()));
    const plugins = await createPlugins({ specs: [pkg.location], from: process.cwd(), budget: { callMs: 5000, memoryMb: 64 }, governed: () => ({}), registry: new Registry() });
    try {
      const status = plugins.report().plugins[0]!;
      if (status.state === "failed") throw new UserError(`${pkg.name} does not load: ${status.error}`);
      const calls: Record<string, unknown> = {};
      if (pkg.declaration.hooks.includes("answer")) {
        const check = plugins.beginAnswer("What is NS-LLM?");
        const unit = "NS-LLM is a network of nodes that answer with governed models. ";
        await check.check(unit, unit, true);
        calls.answer = check.verdicts()[0];
      }
      if (pkg.declaration.hooks.includes("prompt")) calls.prompt = await plugins.rewritePrompt("complete", "What is NS-LLM?");
      if (pkg.declaration.hooks.includes("search")) calls.search = await plugins.search("What is NS-LLM?", 3);
      const failed = Object.values(calls).some((v) => (v as { verdict?: string } | undefined)?.verdict === "error");
      output(values.json, { name: pkg.name, version: pkg.version, digest: pkg.digest, hooks: pkg.declaration.hooks, permissions: pkg.declaration.permissions, calls }, () => {
        console.log(`${pkg.name}@${pkg.version} loads: hooks ${pkg.declaration.hooks.join(", ")}; permissions ${pkg.declaration.permissions.join(", ") || "none"}`);
        console.log(`digest ${pkg.digest}`);
        for (const [hook, result] of Object.entries(calls)) console.log(`${hook}: ${JSON.stringify(result)}`);
      });
      return failed ? 1 : 0;
    } finally {
      await plugins.close();
    }
  },
};

export const pluginDigest: Command = {
  name: "plugin digest",
  usage: "plugin digest <dir|package>",
  summary: "the package digest a governed plugins field names",
  async run(args) {
    const { positionals } = parseCommandArgs(args, {}, { positionals: true, usage: this.usage });
    if (!positionals[0]) throw new UsageError("plugin digest takes a folder or a package name", this.usage);
    console.log(await packageDigest(await resolvePlugin(positionals[0], process.cwd())));
  },
};
