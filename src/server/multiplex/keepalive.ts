import type { WebSocketServer, WebSocket } from "ws";

/** How often every socket is pinged (graphql-ws's own default). */
export const PING_EVERY_MS = 12_000;
/**
 * How long a socket may stay silent (no pong, no message) before it is taken for dead. Longer than
 * graphql-ws's 12 s on purpose: a slow reader's pong waits behind every frame it has not read yet,
 * so a reader that is behind but alive must not look dead.
 */
export const SILENT_FOR_MS = 60_000;

/**
 * Pings every socket of `wss` from one timer (not one interval per socket) and terminates the ones
 * silent for `silentForMs`; anything the client sends counts as a sign of life. Returns the stop.
 */
export function keepSocketsAlive(wss: WebSocketServer, pingEveryMs = PING_EVERY_MS, silentForMs = SILENT_FOR_MS): () => void {
  const lastHeard = new WeakMap<WebSocket, number>();
  const heard = (socket: WebSocket) => () => lastHeard.set(socket, Date.now());
  wss.on("connection", (socket) => {
    lastHeard.set(socket, Date.now());
    const mark = heard(socket);
    socket.on("pong", mark);
    socket.on("message", mark);
  });
  const timer = setInterval(() => {
    const now = Date.now();
    for (const socket of wss.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      if (now - (lastHeard.get(socket) ?? now) > silentForMs) socket.terminate();
      else socket.ping();
    }
  }, pingEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}
