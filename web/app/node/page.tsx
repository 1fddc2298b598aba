import type { Metadata } from "next";
import { NodeDashboard } from "@/components/node/NodeDashboard.tsx";
import "../node-pages.css";

export const metadata: Metadata = { title: "Node dashboard · NS-LLM" };

export default function NodePage() {
  return <NodeDashboard />;
}
