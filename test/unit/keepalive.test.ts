import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { keepSocketsAlive } from "../../src/server/multiplex/keepalive.js";

describe("keepSocketsAlive: a late pong is not a dead socket; a silent one is", () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function server(pingEveryMs: number, silentForMs: number) {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await once(wss, "listening");
    const stop = keepSocketsAlive(wss, pingEveryMs, silentForMs);
    cleanups.push(() => new Promise<void>((resolve) => (stop(), wss.close(() => resolve()))));
    return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  }

  async function client(url: string) {
    const socket = new WebSocket(url);
    await once(socket, "open");
    const closed = { at: null as number | null };
    socket.on("close", () => (closed.at = Date.now()));
    cleanups.push(() => socket.terminate());
    return { socket, closed };
  }

  // The silence limits are far above the pauses a loaded CI gives this one event loop (server and
  // client share it): a stall of a few hundred ms must not look like a silent socket.
  it("keeps a reader that stops reading for several pings, and ends one that stays silent past the limit", async () => {
    const url = await server(40, 1_600);
    const { socket, closed } = await client(url);
    const raw = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    await sleep(1_000); // 25 pings unanswered: graphql-ws's rule would have dropped it
    raw.resume();
    await sleep(250);
    expect(closed.at).toBeNull();
    raw.pause();
    await sleep(2_800);
    raw.resume();
    await expect.poll(() => closed.at, { timeout: 5_000 }).not.toBeNull();
  });

  it("keeps a socket that answers pings open indefinitely", async () => {
    const url = await server(40, 600);
    const { closed } = await client(url);
    await sleep(2_400); // four times the silence limit
    expect(closed.at).toBeNull();
  });
});
