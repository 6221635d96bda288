import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { EventBus } from "../queue/event-bus.js";
import type { ImageClaims } from "./image-claims.js";

/**
 * Shares a worker process's image claims with the other worker processes of its host, over the
 * bus: a run that claims its leaf stops their estimates of it too. Without this, an estimate in
 * another process held qemu's lock on the leaf until it ended, and the run's pre-check, which waits
 * only a few seconds for qemu tools, failed IMAGE_IN_USE when it took longer. A lost message
 * (Redis down for a moment) leaves that wait as the fallback. Claims of other hosts are ignored:
 * the same path there may be another file. Returns the stop.
 */
export function shareClaimsOnHost(claims: ImageClaims, bus: EventBus, hostName: string, log: Logger): () => void {
  const origin = randomUUID();
  claims.onClaim((keys) => {
    bus.publish({ type: "image-claim", host: hostName, origin, keys }).catch((error: Error) => {
      log.warn({ err: error.message, keys }, "image claim not announced to this host's other worker processes");
    });
  });
  const off = bus.on("image-claim", (message) => {
    if (message.host !== hostName || message.origin === origin || !Array.isArray(message.keys)) return;
    const stopped = claims.stopReaders(message.keys);
    if (stopped) log.info({ keys: message.keys, stopped }, "stopped reading images another worker process of this host claimed");
  });
  return () => {
    off();
    claims.onClaim(() => {});
  };
}
