import os from "node:os";
import type { DataSource } from "typeorm";
import { Host } from "../../entities/index.js";

export interface HostFacts {
  name: string;
  concurrency: number;
  virtSparsifyVersion: string | null;
  qemuVersion: string | null;
  accel: string;
  applianceReady: boolean;
}

/** Measured: each virt-sparsify run holds ~600 MB; beyond the core count runs slow each other. */
export function defaultConcurrency(cores = os.availableParallelism(), freeBytes = os.freemem()): number {
  return Math.max(1, Math.min(cores, Math.floor(freeBytes / (600 * 1024 * 1024))));
}

/** Registers (or re-registers) this worker's host row and returns it. */
export async function registerHost(db: DataSource, facts: HostFacts): Promise<Host> {
  await db
    .createQueryBuilder()
    .insert()
    .into(Host)
    .values({ ...facts, heartbeatAt: new Date(), storageDomainIds: [] })
    .orUpdate(["concurrency", "virtSparsifyVersion", "qemuVersion", "accel", "applianceReady", "heartbeatAt"], ["name"])
    .execute();
  return (await db.getRepository(Host).findOneBy({ name: facts.name }))!;
}

/** Heartbeat; returns the row so the worker sees an admin's maintenance flag. */
export async function heartbeat(db: DataSource, name: string, storageDomainIds: string[]): Promise<Host | null> {
  await db.getRepository(Host).update({ name }, { heartbeatAt: new Date(), storageDomainIds });
  return db.getRepository(Host).findOneBy({ name });
}
