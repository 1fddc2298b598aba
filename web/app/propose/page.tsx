import { ProposePage } from "@/components/propose/ProposePage.tsx";

export default function Propose() {
  return <ProposePage />;
}
