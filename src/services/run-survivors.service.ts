import type { DataSource } from "typeorm";
import { Disk } from "../entities/index.js";
import { isRunning } from "../host/process-tree.js";
import { recordEvent } from "./audit.js";
import { refreshAssessments } from "./disk-assessment.service.js";

/**
 * Releases the disks whose RUN_STILL_ALIVE processes, recorded on this host, are all gone (same
 * pid *and* start time, so a recycled pid does not keep a disk blocked, nor free it early).
 * Only the host that ran them can look: /proc is per host. Returns the disks released.
 */
export async function releaseGoneSurvivors(db: DataSource, hostName: string): Promise<string[]> {
  const blocked = await db
    .getRepository(Disk)
    .createQueryBuilder("d")
    .select(["d.id", "d.runStillAlive"])
    .where(`d."runStillAlive"->>'host' = :host`, { host: hostName })
    .getMany();
  const released: string[] = [];
  for (const disk of blocked) {
    const run = disk.runStillAlive!;
    const alive = await Promise.all(run.processes.map((p) => isRunning(p)));
    if (alive.some(Boolean)) continue;
    await db.transaction(async (em) => {
      // Only the record we looked at: a newer run's survivors are left alone.
      const cleared = await em
        .createQueryBuilder()
        .update(Disk)
        .set({ runStillAlive: null })
        .where(`id = :id AND "runStillAlive"->>'jobId' = :jobId`, { id: disk.id, jobId: run.jobId })
        .execute();
      if (!cleared.affected) return;
      await refreshAssessments(em, [disk.id]);
      await recordEvent(em, {
        type: "RUN_PROCESSES_GONE",
        actor: `host:${hostName}`,
        diskId: disk.id,
        jobId: run.jobId,
        message:
          `The processes of job ${run.jobId} left on ${hostName} (pid ` +
          `${run.processes.map((p) => p.pid).join(", ")}) are gone; the disk is released`,
      });
      released.push(disk.id);
    });
  }
  return released;
}
