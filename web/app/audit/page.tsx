import type { Metadata } from "next";
import { Suspense } from "react";
import { AuditPage } from "@/components/audit/AuditPage.tsx";
import "../node-pages.css";

export const metadata: Metadata = { title: "Audit log · NS-LLM" };

export default function Audit() {
  // AuditPage reads ?seq= (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<p className="empty">Loading…</p>}>
      <AuditPage />
    </Suspense>
  );
}
