// Must NOT compile: each line marked `expect-error` uses a message the role may not use.
// The cargo test checks that tsc reports an error on exactly those lines.
import WebSocket from "ws";
import { ChatClient } from "./generated/chat.client.js";
import { ChatPortal } from "./generated/chat.portal.js";

export async function misuse(url: string): Promise<void> {
  const client = await ChatClient.connect(url, { WebSocket });
  const portal = await ChatPortal.connect(url, { WebSocket });
  client.send("createRoom", { userId: "u", roomId: "r" }); // allowed: the control line
  client.send("requestRoomStats", { roomId: "r" }); // expect-error: only the portal may ask for stats
  portal.send("createRoom", { userId: "u", roomId: "r" }); // expect-error: the portal may not create rooms
  client.send("sendMessage", { userId: "u", roomId: "r" }); // expect-error: `text` is required
  client.on("receivedRoomStats", () => {}); // expect-error: clients never receive room stats
  await client.request("joinRoom", { userId: "u", roomId: "r" }, { expect: "receivedRoomStats" }); // expect-error: not a client message
}
