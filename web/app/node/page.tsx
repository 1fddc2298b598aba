import type { Metadata } from "next";
import { NodeDashboard } from "@/components/node/NodeDashboard.tsx";
import "../part2.css";

export const metadata: Metadata = { title: "Node dashboard · NS-LLM" };

export default function NodePage() {
  return <NodeDashboard />;
}
