// The chat flow through the generated TypeScript clients: two users and the portal,
// against a real openws-rs chat server. Usage: node out/chat-flow.js <ws-url> <portal-token>
import assert from "node:assert/strict";
import WebSocket from "ws";
import { ChatClient, OpenWSError } from "./generated/chat.client.js";
import type { JoinedRoom, ReceivedMessage, RoomRequest } from "./generated/chat.client.js";
import { ChatPortal } from "./generated/chat.portal.js";

const [url, portalToken] = process.argv.slice(2);
assert(url !== undefined && portalToken !== undefined, "usage: chat-flow.js <ws-url> <portal-token>");
const watchdog = setTimeout(() => {
  console.error("chat flow: no progress for 20 s");
  process.exit(1);
}, 20_000);

/** The next payload a subscription delivers, within 5 s. */
function next<T>(what: string, subscribe: (handler: (payload: T) => void) => () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${what} within 5 s`));
    }, 5_000);
    const stop = subscribe((payload) => {
      clearTimeout(timer);
      stop();
      resolve(payload);
    });
  });
}

function isCode(code: string, check: (error: OpenWSError) => boolean = () => true) {
  return (error: unknown) => error instanceof OpenWSError && error.code === code && check(error);
}

const alice = await ChatClient.connect(url, { WebSocket });
const bob = await ChatClient.connect(url, { WebSocket });
const portal = await ChatPortal.connect(url, { WebSocket, bearerToken: portalToken });
await assert.rejects(ChatPortal.connect(url, { WebSocket, bearerToken: "wrong" }), isCode("connect_failed"));

// Alice opens a room and hears that she joined it.
const aliceCreated = next<JoinedRoom>("joinedRoom for alice", (h) => alice.on("joinedRoom", h));
alice.send("createRoom", { userId: "alice", roomId: "lobby" });
assert.deepEqual(await aliceCreated, { roomId: "lobby", joinerId: "alice" });

// Bob joins: both members hear it.
const aliceSeesBob = next<JoinedRoom>("joinedRoom for alice", (h) => alice.on("joinedRoom", h));
const bobSeesBob = next<JoinedRoom>("joinedRoom for bob", (h) => bob.on("joinedRoom", h));
bob.send("joinRoom", { userId: "bob", roomId: "lobby" });
assert.deepEqual(await aliceSeesBob, { roomId: "lobby", joinerId: "bob" });
assert.deepEqual(await bobSeesBob, { roomId: "lobby", joinerId: "bob" });

// Alice posts; Bob receives it.
const bobReceives = next<ReceivedMessage>("receivedMessage for bob", (h) => bob.on("receivedMessage", h));
alice.send("sendMessage", { userId: "alice", roomId: "lobby", text: "hi bob" });
assert.deepEqual(await bobReceives, { roomId: "lobby", senderId: "alice", text: "hi bob" });

// The portal asks who is in the room: a request answered with `replyTo`.
const stats = await portal.request("requestRoomStats", { roomId: "lobby" }, { expect: "receivedRoomStats" });
assert.equal(stats.messageName, "receivedRoomStats");
assert.equal(stats.fromRole, "server");
assert.equal(typeof stats.replyTo, "number");
assert.deepEqual([...stats.payload.members].sort(), ["alice", "bob"]);

// The portal posts on Bob's behalf; Alice receives it.
const aliceReceives = next<ReceivedMessage>("receivedMessage for alice", (h) => alice.on("receivedMessage", h));
portal.send("sendMessage", { userId: "bob", roomId: "lobby", text: "from the portal" });
assert.deepEqual(await aliceReceives, { roomId: "lobby", senderId: "bob", text: "from the portal" });

// A handler's refusal answers the request as a typed error.
await assert.rejects(
  alice.request("joinRoom", { userId: "alice", roomId: "nowhere" }),
  isCode("handler_error", (e) => e.messageName === "joinRoom" && e.message.includes("nowhere") && e.replyTo !== undefined),
);
// A payload that fails the schema (forced past the types) is refused with the failing pointer.
await assert.rejects(
  alice.request("createRoom", { userId: "alice" } as unknown as RoomRequest),
  isCode("invalid_payload", (e) => e.problems.length > 0 && e.problems.some((p) => p.message.includes("roomId"))),
);
// An error for a plain `send` goes to the error handlers.
const refused = next<OpenWSError>("error for alice", (h) => alice.onError(h));
alice.send("joinRoom", { userId: "alice", roomId: "nowhere" });
const error = await refused;
assert.equal(error.code, "handler_error");
assert.equal(error.replyTo, undefined);
// A request nobody answers with `replyTo` times out (createRoom answers through the peer handle).
await assert.rejects(
  alice.request("createRoom", { userId: "alice", roomId: "side" }, { timeoutMs: 300 }),
  isCode("timeout"),
);

// Closing: the close code comes back, and a closed client refuses to send.
assert.equal((await bob.close()).code, 1000);
assert.throws(() => bob.send("joinRoom", { userId: "bob", roomId: "lobby" }), isCode("connection_closed"));
await Promise.all([alice.close(), portal.close()]);
clearTimeout(watchdog);
console.log("chat flow: ok");
