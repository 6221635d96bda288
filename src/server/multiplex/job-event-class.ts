import type { SparsifyJob } from "../../entities/index.js";
import { isTerminal } from "../../jobs/queue/job-stream.js";
import type { EventClass } from "./socket-writer.js";

/**
 * A job event's class for a slow socket (see SocketWriter): events of one job in the same state and
 * phase, with cancellation asked or not, differ only in progress and sizes and may be coalesced to
 * the latest; any change of those is a transition and always arrives.
 */
export function jobEventClass(root: unknown): EventClass | null {
  const job = root as Partial<SparsifyJob> | null;
  if (!job || typeof job.id !== "string" || typeof job.state !== "string") return null;
  return {
    stream: job.id,
    phase: `${job.state}|${job.phase ?? ""}|${job.cancelRequestedAt ? 1 : 0}`,
    final: isTerminal(job.state),
  };
}
