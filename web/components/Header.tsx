"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useApp } from "@/lib/app-context.tsx";
import { NodeSettings } from "./NodeSettings.tsx";
import { Badge } from "./ui/Badge.tsx";
import { WalletButton } from "./WalletButton.tsx";

const LINKS = [
  { href: "/", label: "Proposals" },
  { href: "/propose", label: "Propose" },
  { href: "/node", label: "Node" },
  { href: "/chat", label: "Chat" },
  { href: "/audit", label: "Audit" },
];

export function Header() {
  const pathname = usePathname();
  const { chain } = useApp();
  return (
    <header className="header">
      <Link href="/" className="brand">
        NS<span>-LLM</span> governance
      </Link>
      <nav className="nav">
        {LINKS.map((link) => {
          const current = link.href === "/" ? pathname === "/" || pathname.startsWith("/proposals") : pathname.startsWith(link.href);
          return (
            <Link key={link.href} href={link.href} aria-current={current ? "page" : undefined}>
              {link.label}
            </Link>
          );
        })}
      </nav>
      <div className="header-end">
        <Badge tone="neutral">{chain.name}</Badge>
        <NodeSettings />
        <WalletButton />
      </div>
    </header>
  );
}
