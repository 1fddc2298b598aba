"use client";
import { useCallback, useState } from "react";
import { canonicalManifestJson } from "@ns-llm/contracts";
import { formatTokens } from "@/lib/format.ts";
import type { ManifestDraft } from "@/lib/manifest.ts";
import { useAccountState } from "@/lib/queries.ts";
import { usePublishAndPropose } from "@/lib/use-publish-and-propose.ts";
import { useWallet } from "@/lib/use-wallet.ts";
import { Button } from "../ui/Button.tsx";
import { Card } from "../ui/Card.tsx";
import { Notice } from "../ui/Notice.tsx";
import { ModelForm } from "./ModelForm.tsx";
import { ParametersForm } from "./ParametersForm.tsx";
import { ReleaseForm } from "./ReleaseForm.tsx";
import type { PreparedRelease } from "@/lib/prepare-release.ts";
import { ProposeSteps } from "./ProposeSteps.tsx";

type Kind = "parameters" | "model" | "release";

/** Propose a model adoption, a parameter change or a release of the node: check, publish, propose. */
export function ProposePage() {
  const [kind, setKind] = useState<Kind>("parameters");
  const [manifest, setManifest] = useState<ManifestDraft | null>(null);
  const [release, setRelease] = useState<PreparedRelease | null>(null);
  const [showJson, setShowJson] = useState(false);
  const flow = usePublishAndPropose();
  const wallet = useWallet();
  const address = wallet.status === "ready" ? wallet.address : undefined;
  const account = useAccountState(address);
  const onChange = useCallback((m: ManifestDraft) => setManifest(m), []);
  const onRelease = useCallback((r: PreparedRelease | null) => setRelease(r), []);
  const ready = kind === "release" ? release !== null : manifest !== null;

  const locked = flow.busy || flow.state.step === "done" || flow.state.step === "propose-failed";
  const lowPower = account.data && account.data.votes < account.data.threshold;
  const switchKind = (next: Kind) => {
    flow.reset();
    setManifest(null);
    setRelease(null);
    setKind(next);
  };

  return (
    <>
      <Card
        title={<h1>New proposal</h1>}
        actions={
          <div className="tabs" role="tablist">
            <Button size="small" selected={kind === "parameters"} onClick={() => switchKind("parameters")} role="tab" aria-selected={kind === "parameters"} data-testid="kind-parameters">
              Parameters
            </Button>
            <Button size="small" selected={kind === "model"} onClick={() => switchKind("model")} role="tab" aria-selected={kind === "model"} data-testid="kind-model">
              Model
            </Button>
            <Button size="small" selected={kind === "release"} onClick={() => switchKind("release")} role="tab" aria-selected={kind === "release"} data-testid="kind-release">
              Release
            </Button>
          </div>
        }
      >
        <p className="muted small">
          {kind === "parameters"
            ? "Change the generation parameters and validation thresholds every node applies."
            : kind === "release"
              ? "Update the node itself: adopt a signed release (release.json of npm run package). Packaged nodes verify its signature against the key they ship, download their platform's package, check every byte and switch to it."
              : "Adopt a model: name its files by sha256 and size, and say where to get them. Never write a digest you did not read from the publisher or compute from the file."}
        </p>
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            if (!address) return;
            if (kind === "release") {
              if (release) void flow.submitRelease(release, address);
            } else if (manifest) void flow.submit(manifest, address);
          }}
          data-testid={`form-${kind}`}
        >
          <fieldset disabled={locked} style={{ border: "none", padding: 0 }}>
            {kind === "parameters" ? <ParametersForm onChange={onChange} /> : kind === "release" ? <ReleaseForm key="release" onChange={onRelease} /> : <ModelForm key="model" onChange={onChange} />}
          </fieldset>
          {!address && <Notice tone="warn">Connect a wallet on this chain to propose.</Notice>}
          {address && lowPower && (
            <Notice tone="warn" testId="below-threshold">
              Proposing needs {formatTokens(account.data!.threshold)} of voting power; you have {formatTokens(account.data!.votes)}. Get tokens and delegate them first.
            </Notice>
          )}
          <div className="row">
            {flow.state.step === "propose-failed" ? (
              <>
                <Button variant="primary" disabled={!address || flow.busy} onClick={() => {
                    if (!address) return;
                    if (kind === "release") {
                      if (release) void flow.retryRelease(release, address);
                    } else if (manifest) void flow.retry(manifest, address);
                  }}
                >
                  Try the proposal again
                </Button>
                <Button onClick={flow.reset}>{kind === "release" ? "Start over" : "Edit the manifest"}</Button>
              </>
            ) : flow.state.step === "done" ? (
              <Button onClick={() => switchKind(kind)}>Make another</Button>
            ) : (
              <>
                <Button type="submit" variant="primary" disabled={!address || !ready || flow.busy || lowPower || flow.state.step === "mismatch"} data-testid="publish-and-propose">
                  Check, publish and propose
                </Button>
                {flow.state.step === "mismatch" && <Button onClick={flow.reset}>Start over (after changing the node in Settings)</Button>}
              </>
            )}
            {kind !== "release" && (
              <Button size="small" onClick={() => setShowJson(!showJson)}>
                {showJson ? "Hide" : "Show"} manifest JSON
              </Button>
            )}
          </div>
          {showJson && manifest && kind !== "release" && <pre className="mono small card" style={{ whiteSpace: "pre-wrap", margin: 0 }}>{canonicalManifestJson(manifest)}</pre>}
        </form>
      </Card>
      {flow.state.step !== "idle" && (
        <Card title="Progress" testId="propose-progress">
          <ProposeSteps state={flow.state} tx={flow.tx} release={kind === "release"} />
        </Card>
      )}
    </>
  );
}
