/**
 * The Windows installer, made with msitools' wixl: installs the folder into
 * `Program Files\NS-LLM` and adds a Start menu entry that runs the launcher (ns-llm.cmd, which
 * serves the demo models when started without arguments). wixl-heat lists the files.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, writeFile, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A stable GUID from a name (so upgrades of the same product find each other). */
function guid(name: string): string {
  const h = createHash("sha256").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
}

/** MSI versions are three numbers below 256.256.65536; a pre-release suffix is dropped. */
function msiVersion(version: string): string {
  return version.split("-")[0]!;
}

export async function makeMsi(root: string, out: string, version: string): Promise<void> {
  const dir = path.dirname(root);
  const fragment = `${root}.files.wxs`;
  const main = `${root}.product.wxs`;
  const files = (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
  try {
    const heat = await runWithInput("wixl-heat", ["-p", `${path.basename(root)}/`, "--component-group", "AppFiles", "--var", "var.SourceDir", "--directory-ref", "INSTALLDIR", "--win64"], `${files.join("\n")}\n`, dir);
    await writeFile(fragment, heat);
    await writeFile(
      main,
      `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="NS-LLM" Version="${msiVersion(version)}" Manufacturer="NS-LLM" Language="1033" UpgradeCode="${guid("ns-llm-upgrade-code")}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Description="NS-LLM node ${version}" Comments="Governed local AI backend; its own Node.js runtime" />
    <Media Id="1" Cabinet="app.cab" EmbedCab="yes" CompressionLevel="high" />
    <MajorUpgrade DowngradeErrorMessage="A newer NS-LLM is already installed." />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLDIR" Name="NS-LLM" />
      </Directory>
      <Directory Id="ProgramMenuFolder">
        <Directory Id="ProgramMenuDir" Name="NS-LLM" />
      </Directory>
    </Directory>
    <DirectoryRef Id="ProgramMenuDir">
      <Component Id="StartMenuEntry" Guid="${guid("ns-llm-start-menu")}" Win64="yes">
        <Shortcut Id="StartNode" Name="NS-LLM node" Description="Start the NS-LLM node (demo models until configured)" Target="[INSTALLDIR]ns-llm.cmd" WorkingDirectory="INSTALLDIR" />
        <RemoveFolder Id="RemoveProgramMenuDir" On="uninstall" />
        <RegistryValue Root="HKCU" Key="Software\\NS-LLM" Name="installed" Type="integer" Value="1" KeyPath="yes" />
      </Component>
    </DirectoryRef>
    <Feature Id="Node" Title="NS-LLM node" Level="1">
      <ComponentGroupRef Id="AppFiles" />
      <ComponentRef Id="StartMenuEntry" />
    </Feature>
  </Product>
</Wix>
`,
    );
    // wixl wants sources relative to where it runs.
    await run("wixl", ["-a", "x64", "-D", `SourceDir=${path.basename(root)}`, "-D", "Win64=yes", "-o", out, main, fragment], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new Error("wixl is not installed (apt-get install wixl)");
    throw new Error(`wixl could not build the .msi: ${(e.stderr ?? e.message).trim().split("\n").slice(-3).join(" / ")}`);
  } finally {
    await rm(fragment, { force: true });
    await rm(main, { force: true });
  }
}

function runWithInput(file: string, args: string[], input: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    child.stdin!.end(input);
  });
}
