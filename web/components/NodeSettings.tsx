"use client";
import { useState } from "react";
import { useApp } from "@/lib/app-context.tsx";
import { Button } from "./ui/Button.tsx";
import { Card } from "./ui/Card.tsx";

/** The NS-LLM node this browser publishes and fetches manifests through. */
export function NodeSettings() {
  const { nodeUrl, setNodeUrl, config } = useApp();
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState(nodeUrl);
  return (
    <>
      <Button size="small" onClick={() => { setDraft(nodeUrl); setOpen(!open); }} aria-expanded={open}>
        Settings
      </Button>
      {open && (
        <div className="popover">
          <Card title="Settings">
            <form className="stack" onSubmit={(e) => { e.preventDefault(); setNodeUrl(draft); setOpen(false); }}>
              <div className="field">
                <label htmlFor="node-url">NS-LLM node URL</label>
                <input id="node-url" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder={config.nodeUrl} />
                <span className="hint">Manifests are published and fetched through this node. Default {config.nodeUrl}.</span>
              </div>
              <div className="field">
                <label>Chain RPC</label>
                <code>{config.rpcUrl}</code>
              </div>
              <div className="row">
                <Button type="submit" variant="primary" size="small">Save</Button>
                <Button size="small" onClick={() => { setNodeUrl(""); setOpen(false); }}>Reset</Button>
              </div>
            </form>
          </Card>
        </div>
      )}
    </>
  );
}
