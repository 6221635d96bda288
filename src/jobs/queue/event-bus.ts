import { EventEmitter } from "node:events";
import type { Redis } from "ioredis";
import type { ScanState } from "../../entities/enums.js";
import type { JobSnapshot } from "./job-snapshot.js";

/** Everything that crosses processes besides the queues themselves. */
export type BusMessage =
  | { type: "job"; job: JobSnapshot }
  | { type: "scan"; storageDomainId: string; state: ScanState; scanJobId?: string }
  | { type: "cancel"; jobId: string }
  | { type: "domains-changed" }
  | { type: "hosts-changed" }
  | { type: "token-revoked"; tokenId: string }
  | { type: "estimate"; storageDomainId: string; estimateJobId: string }
  /** A run on `host` claimed these images (real paths): its other worker processes stop reading them. */
  | { type: "image-claim"; host: string; origin: string; keys: string[] };

/** Not a BusMessage type: emitted here, never published. */
const RESUBSCRIBED = "bus:resubscribed";

/**
 * Redis pub/sub between gateways and workers. Every gateway replica subscribes, so every replica
 * sees every job change and pushes it to its own WebSocket clients; nothing polls the database
 * per subscriber. Messages published while a process is disconnected are lost: subscriptions
 * therefore always start from the job's current state in PostgreSQL.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly channel: string;
  /** Set once the first subscription is confirmed: a later "ready" is a reconnect. */
  private subscribed = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    prefix: string,
  ) {
    this.channel = `${prefix}:events`;
    this.emitter.setMaxListeners(0);
    subscriber.on("message", (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      let message: BusMessage;
      try {
        message = JSON.parse(raw) as BusMessage;
      } catch {
        return;
      }
      this.emitter.emit(message.type, message);
    });
    subscriber.on("ready", () => {
      if (this.subscribed) void this.resubscribed();
    });
  }

  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
    this.subscribed = true;
  }

  /**
   * After a reconnect (a Redis restart, a Sentinel failover) the channel is subscribed again
   * (ioredis does it too; this waits for Redis to confirm it), then {@link onResubscribed}'s
   * handlers run: what was published while the subscriber was away is lost, and they re-read it.
   */
  private async resubscribed(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.channel);
    } catch {
      return; // closing, or down again: the next "ready" tries again
    }
    this.emitter.emit(RESUBSCRIBED);
  }

  /** Calls `handler` each time the subscriber is back after a reconnect; returns the stop. */
  onResubscribed(handler: () => void): () => void {
    this.emitter.on(RESUBSCRIBED, handler);
    return () => this.emitter.off(RESUBSCRIBED, handler);
  }

  async publish(message: BusMessage): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(message));
  }

  /** Many messages in one pipeline: one write and one round trip (a bulk request announces ~1,000 jobs). */
  async publishMany(messages: readonly BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const pipeline = this.publisher.pipeline();
    for (const message of messages) pipeline.publish(this.channel, JSON.stringify(message));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
  }

  on<T extends BusMessage["type"]>(type: T, handler: (message: Extract<BusMessage, { type: T }>) => void): () => void {
    this.emitter.on(type, handler);
    return () => this.emitter.off(type, handler);
  }

  /** Resolves with the first matching message, or null after `timeoutMs`. */
  waitFor<T extends BusMessage["type"]>(
    type: T,
    match: (message: Extract<BusMessage, { type: T }>) => boolean,
    timeoutMs: number,
  ): Promise<Extract<BusMessage, { type: T }> | null> {
    return new Promise((resolve) => {
      const off = this.on(type, (message) => {
        if (!match(message)) return;
        clearTimeout(timer);
        off();
        resolve(message);
      });
      const timer = setTimeout(() => {
        off();
        resolve(null);
      }, timeoutMs);
    });
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
    await this.subscriber.unsubscribe(this.channel).catch(() => {});
  }
}
