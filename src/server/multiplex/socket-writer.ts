import type { WebSocket } from "ws";
import { framesCoalesced } from "../../metrics.js";

/**
 * Where an event stands in its stream (a job): events of one `stream` with the same `phase`
 * (state, phase, cancellation asked) are progress updates and may replace each other; a new phase
 * is a transition and is always delivered. `final`: the stream ends here (nothing to remember).
 */
export interface EventClass {
  stream: string;
  phase: string;
  final: boolean;
}

interface Entry {
  subscription: string;
  frame: Buffer;
  /** subscription + stream, when this entry is a progress update that a later one may replace. */
  slot?: string;
}

/**
 * Bytes a socket may have unsent (in ws and the kernel's send path above it) before it counts as
 * behind: a few hundred job frames. The kernel's own buffers come first, so only a reader that
 * stopped reading, or reads far slower than we write, gets here.
 */
export const SLOW_CONSUMER_BYTES = 256 * 1024;
/** How often a behind socket is looked at again when no write callback says it drained. */
const RECHECK_MS = 25;

/**
 * Writes a socket's `next` frames without ever closing it for being slow: while the socket is
 * behind (bufferedAmount over the mark), frames wait here, and a progress update replaces the
 * waiting update of the same stream and phase, so a slow reader gets the latest progress, while
 * every transition stays, in order. Frames of one subscription never overtake each other.
 */
export class SocketWriter {
  private readonly queue: Entry[] = [];
  /** Waiting progress entries that a newer update of their slot replaces. */
  private readonly replaceable = new Map<string, Entry>();
  /** Per subscription + stream, the phase of the last frame written or queued. */
  private readonly lastPhase = new Map<string, string>();
  private recheck: NodeJS.Timeout | null = null;
  private waiters: Array<{ subscription: string; resolve: () => void }> = [];
  /** Frames replaced by a newer progress update since the socket opened (metrics, tests). */
  coalesced = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly highWater = SLOW_CONSUMER_BYTES,
  ) {
    socket.once("close", () => this.abandon());
  }

  /** Queues or sends one frame of `subscription`; `kind` (when known) lets a slow socket coalesce it. */
  write(subscription: string, frame: Buffer, kind: EventClass | null): void {
    let slot: string | undefined;
    let progress = false;
    if (kind) {
      slot = `${subscription}\u0000${kind.stream}`;
      progress = this.lastPhase.get(slot) === kind.phase;
      if (kind.final) this.lastPhase.delete(slot);
      else this.lastPhase.set(slot, kind.phase);
    }
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.queue.length === 0 && this.socket.bufferedAmount < this.highWater) {
      this.socket.send(frame, { binary: false });
      return;
    }
    const waiting = progress && slot ? this.replaceable.get(slot) : undefined;
    if (waiting) {
      waiting.frame = frame;
      this.coalesced++;
      framesCoalesced.inc();
      return;
    }
    const entry: Entry = { subscription, frame, ...(progress ? { slot } : {}) };
    this.queue.push(entry);
    if (progress) this.replaceable.set(slot!, entry);
    else if (slot) this.replaceable.delete(slot);
    this.flush();
  }

  /** Resolves once every frame of `subscription` queued so far was handed to the socket (or it closed). */
  drained(subscription: string): Promise<void> {
    if (!this.queue.some((e) => e.subscription === subscription)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ subscription, resolve }));
  }

  /** Forgets what a finished subscription left behind. */
  forget(subscription: string): void {
    const prefix = `${subscription}\u0000`;
    for (const slot of this.lastPhase.keys()) if (slot.startsWith(prefix)) this.lastPhase.delete(slot);
  }

  /** True while frames wait for the socket. */
  get behind(): boolean {
    return this.queue.length > 0;
  }

  private flush = (): void => {
    this.recheck = null;
    let sent = 0;
    while (this.queue.length && this.socket.readyState === this.socket.OPEN && this.socket.bufferedAmount < this.highWater) {
      const entry = this.queue.shift()!;
      if (entry.slot && this.replaceable.get(entry.slot) === entry) this.replaceable.delete(entry.slot);
      this.socket.send(entry.frame, { binary: false });
      sent++;
    }
    if (sent) this.wake();
    if (this.socket.readyState !== this.socket.OPEN) return this.abandon();
    // ws has no public drain event: look again shortly while anything waits.
    if (this.queue.length && !this.recheck) this.recheck = setTimeout(this.flush, RECHECK_MS);
  };

  private wake(): void {
    if (!this.waiters.length) return;
    const pending = new Set(this.queue.map((e) => e.subscription));
    const still = [];
    for (const w of this.waiters) {
      if (pending.has(w.subscription)) still.push(w);
      else w.resolve();
    }
    this.waiters = still;
  }

  private abandon(): void {
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = null;
    this.queue.length = 0;
    this.replaceable.clear();
    this.lastPhase.clear();
    this.wake();
  }
}
