import net from "node:net";
import { StartupError } from "./startup-errors.js";

/** One line for a port we cannot listen on, with what to do; other errors are returned as they are. */
export function listenError(error: unknown, port: number, host: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") {
    return new StartupError(
      `Port ${port} on ${host} is already in use by another process (another gateway still running?). ` +
        `Fix: stop it (\`ss -ltnp 'sport = :${port}'\` names it) or set PORT to a free port, e.g. ` +
        `PORT=${port === 65535 ? 4001 : port + 1} npm start.`,
    );
  }
  if (code === "EACCES")
    return new StartupError(
      `Port ${port} on ${host} needs privileges this process does not have. Fix: use a port above 1023 ` +
        "(PORT=4000) or put a reverse proxy in front.",
    );
  if (code === "EADDRNOTAVAIL")
    return new StartupError(
      `BIND_ADDRESS ${host} is not an address of this machine. Fix: set BIND_ADDRESS to one of its addresses, 127.0.0.1 or 0.0.0.0.`,
    );
  return error;
}

/**
 * Listens, or rejects with {@link listenError}. The error listener matters: without one, the
 * failure surfaces through the WebSocket server sharing this HTTP server as an unhandled
 * "Internal error" and the process hangs.
 */
export function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off("listening", onListening);
      reject(listenError(error, port, host));
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

/** Fails early (before migrations or anything else changes) when the gateway's port is taken. */
export async function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  await listen(probe, port, host);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}
