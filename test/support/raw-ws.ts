import WebSocket from "ws";

/** How a graphql-transport-ws handshake ended: acknowledged, or closed with a code. */
export type Handshake = { acked: true; socket: WebSocket } | { acked: false; code: number; reason: string };

export interface HandshakeOptions {
  /** Sent as the Origin header, as a browser would; none when undefined. */
  origin?: string;
  /** connectionParams.authorization, e.g. "Bearer spg_…"; none when undefined. */
  authorization?: string;
  timeoutMs?: number;
}

/**
 * Speaks graphql-transport-ws by hand (connection_init → connection_ack or a close), so a test
 * sees the server's close code and can set headers a graphql-ws client would not.
 */
export function handshake(url: string, opts: HandshakeOptions = {}): Promise<Handshake> {
  const socket = new WebSocket(url, "graphql-transport-ws", {
    headers: opts.origin === undefined ? {} : { origin: opts.origin },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no connection_ack and no close within ${opts.timeoutMs ?? 5_000} ms`));
    }, opts.timeoutMs ?? 5_000);
    socket.on("open", () => {
      const payload = opts.authorization === undefined ? {} : { authorization: opts.authorization };
      socket.send(JSON.stringify({ type: "connection_init", payload }));
    });
    socket.on("message", (data) => {
      if (JSON.parse(String(data)).type !== "connection_ack") return;
      clearTimeout(timer);
      resolve({ acked: true, socket });
    });
    socket.on("close", (code, reason) => {
      clearTimeout(timer);
      resolve({ acked: false, code, reason: String(reason) });
    });
    socket.on("error", () => {}); // a refused upgrade also closes; the close handler reports it
  });
}

/** Resolves with the close code once the socket closes. */
export function closeCodeOf(socket: WebSocket): Promise<number> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.reject(new Error("socket already closed"));
  return new Promise((resolve) => socket.once("close", (code) => resolve(code)));
}
