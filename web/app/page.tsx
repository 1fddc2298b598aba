import { ProposalList } from "@/components/ProposalList.tsx";
import { RegistryCard } from "@/components/RegistryCard.tsx";

export default function ProposalsPage() {
  return (
    <>
      <RegistryCard />
      <ProposalList />
    </>
  );
}
