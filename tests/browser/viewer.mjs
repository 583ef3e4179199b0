// Drives the spec viewer page (`/openws/ui`) of a running chat server in
// headless Chromium: two tabs connect as two chat clients, create and join a
// room, talk, and provoke an error frame, which must be highlighted.
//
//   node viewer.mjs <page url> <screenshot path>
//
// Run by tests/viewer.rs; Chromium comes from Debian (scripts/install-browser.sh).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [url, screenshot] = process.argv.slice(2);
if (!url || !screenshot) {
  console.error("usage: node viewer.mjs <page url> <screenshot path>");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const profile = mkdtempSync(join(tmpdir(), "openws-viewer-"));
const WAIT = 10_000;

const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1360, height: 1040 },
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
context.setDefaultTimeout(WAIT);

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Opens the page, connects as `role` (with `token`, if any) and waits until the socket is open. */
async function open(role, token) {
  const page = await context.newPage();
  page.on("pageerror", (error) => { throw new Error(`page error: ${error.message}`); });
  await page.goto(url);
  await page.locator('section.network[data-network="chat"]').waitFor();
  await page.selectOption("#role", role);
  if (token) await page.fill("#token", token);
  await page.click("#connect");
  await page.locator("#status.open").waitFor();
  return page;
}

/** Fills the form of `message` from `fields` (data-path → value) and sends it. */
async function send(page, message, fields) {
  await page.selectOption("#message", message);
  for (const [path, value] of Object.entries(fields)) {
    await page.fill(`#form [data-path="${path}"]`, value);
  }
  await page.click("#send");
}

/** Waits for a received frame of `message` whose text contains `text`. */
async function received(page, message, text) {
  await page.locator(`#log .frame.in[data-message="${message}"]`, { hasText: text }).first().waitFor();
}

let failed = false;
let alice;
try {
  alice = await open("client");

  // The spec is listed: networks, roles, messages with their `from` lists and schemas.
  const spec = alice.locator('section.network[data-network="chat"]');
  for (const role of ["server", "client", "portal"]) {
    await spec.locator(`h3[data-role="${role}"]`).waitFor();
  }
  for (const message of ["server.createRoom", "server.requestRoomStats", "client.joinedRoom", "portal.receivedRoomStats"]) {
    await spec.locator(`tr[data-message="${message}"]`).waitFor();
  }
  const from = await spec.locator('tr[data-message="server.sendMessage"] .chip').allTextContents();
  check(from.join(",") === "client,portal", `sendMessage lists its senders: ${from}`);
  const schema = await spec.locator('tr[data-message="server.createRoom"] pre').textContent();
  check(schema.includes('"roomId"'), "createRoom shows its payload schema");
  const offered = await alice.locator("#message option").allTextContents();
  check(!offered.includes("requestRoomStats"), `a client is not offered portal messages: ${offered}`);

  await send(alice, "createRoom", { userId: "alice", roomId: "lobby" });
  await received(alice, "joinedRoom", '"alice"');

  const bob = await open("client");
  await send(bob, "joinRoom", { userId: "bob", roomId: "lobby" });
  await received(bob, "joinedRoom", '"bob"');
  await received(alice, "joinedRoom", '"bob"');

  await send(alice, "sendMessage", { userId: "alice", roomId: "lobby", text: "hello from the viewer" });
  await received(bob, "receivedMessage", "hello from the viewer");

  // A browser cannot set headers: the portal's token goes as a query parameter, masked in the log
  // (tests/viewer.rs serves the chat with this portal token).
  const portal = await open("portal", "viewer-test-token");
  await portal.locator("#log .frame.system", { hasText: "/chat?token=***" }).waitFor();
  await send(portal, "requestRoomStats", { roomId: "lobby" });
  await received(portal, "receivedRoomStats", '"bob"');

  // A request carries an id; the error frame answering it comes back highlighted.
  await bob.check("#as-request");
  await send(bob, "joinRoom", { userId: "bob", roomId: "nowhere" });
  const error = bob.locator('#log .frame.error[data-code="handler_error"]');
  await error.waitFor();
  check((await error.textContent()).includes("replyTo 1"), "the error answers request 1");
  const color = await error.evaluate((node) => getComputedStyle(node).borderLeftColor);
  check(color === "rgb(201, 42, 42)", `error frames are highlighted in red, got ${color}`);

  // A payload edited as JSON that breaks the schema: `invalid_payload`.
  await bob.uncheck("#as-request");
  await bob.selectOption("#message", "sendMessage");
  await bob.check("#json-mode");
  await bob.fill("#json", '{"userId": "bob", "roomId": "lobby"}');
  await bob.click("#send");
  await bob.locator('#log .frame.error[data-code="invalid_payload"]').waitFor();

  await bob.screenshot({ path: screenshot, fullPage: true });
  console.log(`viewer: chat flow passed in two tabs; screenshot at ${screenshot}`);
} catch (error) {
  failed = true;
  console.error(`viewer: ${error.stack || error}`);
  if (alice) await alice.screenshot({ path: `${screenshot}.failed.png` }).catch(() => {});
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
