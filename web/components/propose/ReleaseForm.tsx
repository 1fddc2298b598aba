"use client";
import { useEffect, useState } from "react";
import { prepareRelease, type PrepareReleaseReturnType, type PreparedRelease } from "@/lib/prepare-release.ts";
import { useNodeReleaseKey } from "@/lib/queries.ts";
import { releaseKeyFromPem, type ReleaseKey } from "@/lib/release.ts";
import { ReleaseView } from "../ReleaseView.tsx";
import { Hex } from "../ui/Hex.tsx";
import { Notice } from "../ui/Notice.tsx";
import { TextAreaField, TextField } from "../ui/Field.tsx";

/**
 * A governed update: the maintainer picks the signed release file (`release.json` of
 * `npm run package`) and the release public key; this browser checks the file's shape and that the
 * signature covers its content, and shows what would be adopted. Nothing is typed by hand.
 */
export function ReleaseForm({ onChange }: { onChange: (release: PreparedRelease | null) => void }) {
  const [file, setFile] = useState<{ name: string; bytes: Uint8Array } | null>(null);
  const [pem, setPem] = useState("");
  const [summary, setSummary] = useState("");
  const [result, setResult] = useState<PrepareReleaseReturnType | null>(null);
  const nodeKey = useNodeReleaseKey();

  const { key: givenKey, error: keyError } = parseKey(pem);

  useEffect(() => {
    let cancelled = false;
    if (!file) {
      setResult(null);
      onChange(null);
      return;
    }
    const { key: givenKey } = parseKey(pem);
    void prepareRelease(file.bytes, [givenKey && { key: givenKey, source: "file" }, nodeKey.data ? { key: nodeKey.data, source: "node" } : undefined], summary).then((r) => {
      if (cancelled) return;
      setResult(r);
      onChange(r.ok ? r.release : null);
    });
    return () => {
      cancelled = true;
    };
  }, [file, givenKey?.id, summary, nodeKey.data, onChange]);

  const readFile = async (input: HTMLInputElement, use: (name: string, bytes: Uint8Array) => void) => {
    const picked = input.files?.[0];
    if (picked) use(picked.name, new Uint8Array(await picked.arrayBuffer()));
  };

  const shown = result?.ok ? result.release : result && !result.ok && result.manifest ? { manifest: result.manifest, signature: result.signature! } : undefined;
  return (
    <div className="stack">
      <div className="grid-2">
        <TextField
          label="Signed release file"
          type="file"
          accept=".json,application/json"
          data-testid="release-file"
          onChange={(e) => void readFile(e.currentTarget, (name, bytes) => setFile({ name, bytes }))}
          hint="release.json, as npm run package wrote it (published as it is: its bytes are what the digest names)"
        />
        <TextField
          label="Release public key (PEM file)"
          type="file"
          accept=".pem,.pub,.txt"
          data-testid="release-key-file"
          onChange={(e) => void readFile(e.currentTarget, (_name, bytes) => setPem(new TextDecoder().decode(bytes)))}
          hint="the public half only (openssl pkey -in key.pem -pubout); never the private key"
        />
      </div>
      <TextAreaField
        label="Release public key (PEM)"
        value={pem}
        onChange={(e) => setPem(e.target.value)}
        placeholder={"-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----"}
        data-testid="release-key-pem"
        hint={
          nodeKey.data ? (
            <>Empty: the key the node says its running version ships (<Hex value={nodeKey.data.id} />), if it is the one that signed. The key goes into the proposal's description, so voters' browsers can check the signature.</>
          ) : (
            "The key goes into the proposal's description, so voters' browsers can check the signature."
          )
        }
      />
      <TextAreaField label="Description" placeholder="What this release changes" value={summary} onChange={(e) => setSummary(e.target.value)} />
      {keyError && <Notice tone="bad" testId="release-key-error">{keyError}</Notice>}
      {result && !result.ok && <Notice tone="bad" testId="release-form-error">{result.error}</Notice>}
      {result?.ok && (
        <Notice tone="good" testId="release-form-ok">
          Checked in this browser: a well-formed signed release of ns-llm {result.release.manifest.version}, whose signature by key <Hex value={result.release.key.id} full /> covers
          exactly this content. It will be adopted as CID <Hex value={result.release.cid} testId="release-form-cid" /> with digest <Hex value={result.release.digest} testId="release-form-digest" />.
        </Notice>
      )}
      {shown && <ReleaseView manifest={shown.manifest} signature={shown.signature} />}
    </div>
  );
}

function parseKey(pem: string): { key?: ReleaseKey; error?: string } {
  if (!pem.trim()) return {};
  try {
    return { key: releaseKeyFromPem(pem) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
