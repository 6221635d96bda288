import { useSyncExternalStore } from "react";
import type { Api, LiveStatus } from "../api/client";

const LABELS: Record<LiveStatus, string> = {
  idle: "Live updates idle",
  connecting: "Connecting live updates…",
  live: "Live",
  reconnecting: "Connection lost — reconnecting…",
};

export const useLiveStatus = (api: Api) =>
  useSyncExternalStore(
    (cb) => api.onStatus(cb),
    () => api.liveStatus,
  );

/** The WebSocket's state, announced politely when it changes. */
export function LiveStatusBadge({ api }: { api: Api }) {
  const status = useLiveStatus(api);
  return (
    <span className={`live live-${status}`} role="status" aria-live="polite">
      <span className="live-dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}
