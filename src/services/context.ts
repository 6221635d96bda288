import type { DataSource } from "typeorm";
import type { Config } from "../config.js";
import type { EventBus } from "../jobs/queue/event-bus.js";
import type { QueueRegistry } from "../jobs/queue/queue-registry.js";

/** What gateway services share: built once at start, passed explicitly (no globals). */
export interface Services {
  config: Config;
  db: DataSource;
  queues: QueueRegistry;
  bus: EventBus;
}
