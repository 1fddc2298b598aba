import type { Metadata } from "next";
import { ChatPage } from "@/components/chat/ChatPage.tsx";
import "../node-pages.css";

export const metadata: Metadata = { title: "Chat · NS-LLM" };

export default function Chat() {
  return <ChatPage />;
}
