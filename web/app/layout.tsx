import type { Metadata } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { Providers } from "@/components/Providers.tsx";
import { Shell } from "@/components/Shell.tsx";
import { loadAppConfig } from "@/lib/load-app-config.ts";
import "./globals.css";

export const metadata: Metadata = {
  title: "NS-LLM governance",
  description: "Propose and vote on the models and parameters every NS-LLM node runs",
};

// The dev chain is redeployed often: read the deployment on every request, never at build time.
export const dynamic = "force-dynamic";

export default async function RootLayout({ children }: { children: ReactNode }) {
  const config = await loadAppConfig({ host: (await headers()).get("host") });
  return (
    <html lang="en">
      <body>
        <Providers config={config}>
          <Shell>{children}</Shell>
        </Providers>
      </body>
    </html>
  );
}
