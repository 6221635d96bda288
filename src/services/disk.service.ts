import { AllocationSource, DiskAllocation, DiskStatus } from "../entities/enums.js";
import { Disk, DiskAttachment, Volume } from "../entities/index.js";
import { AppError, ErrorCode, badInput, notFound } from "../errors.js";
import { recordEvent } from "./audit.js";
import type { Services } from "./context.js";
import { refreshAssessments, withTemplates } from "./disk-assessment.service.js";
import { parseId } from "./ids.js";

/** Admin corrections to the inventory. */
export class DiskService {
  constructor(private readonly s: Services) {}

  async find(id: string): Promise<Disk | null> {
    return this.s.db.getRepository(Disk).findOneBy({ id: parseId(id) });
  }

  async get(id: string): Promise<Disk> {
    const disk = await this.find(id);
    if (!disk) throw notFound("Disk", id);
    return disk;
  }

  /** An INFERRED verdict can be wrong (a fully written thin disk looks preallocated): let an admin say. */
  async setAllocation(id: string, allocation: DiskAllocation, actor: string): Promise<Disk> {
    if (!Object.values(DiskAllocation).includes(allocation)) throw badInput(`unknown allocation ${allocation}`, "allocation");
    const disk = await this.get(id);
    await this.s.db.transaction(async (em) => {
      await em.update(Disk, { id: disk.id }, { allocation, allocationSource: AllocationSource.SET_BY_USER });
      await refreshAssessments(em, [disk.id]);
      await recordEvent(em, {
        type: "DISK_ALLOCATION_SET",
        actor,
        diskId: disk.id,
        message: `Disk ${disk.alias} set to ${allocation} (was ${disk.allocation}, ${disk.allocationSource})`,
      });
    });
    return this.get(disk.id);
  }

  /**
   * Lifts the DIRECT_VERIFICATION_FAILED blocker once an admin has checked the image (audited).
   * DIRECT stays off for the domain until setSparsifyMethod turns it on again.
   */
  async clearDirectVerificationFailure(id: string, actor: string): Promise<Disk> {
    const disk = await this.get(id);
    const failure = disk.directVerificationFailed;
    if (!failure) throw badInput(`Disk ${disk.alias} has no failed DIRECT verification to clear`, "id");
    await this.s.db.transaction(async (em) => {
      await em.update(Disk, { id: disk.id }, { directVerificationFailed: null });
      await refreshAssessments(em, [disk.id]);
      await recordEvent(em, {
        type: "DIRECT_VERIFICATION_CLEARED",
        actor,
        diskId: disk.id,
        jobId: failure.jobId,
        message: `The failed DIRECT verification of disk ${disk.alias} (job ${failure.jobId}: ${failure.message}) was cleared`,
      });
    });
    return this.get(disk.id);
  }

  /** Removes a MISSING disk (and its volume rows) from the inventory. */
  async forget(id: string, actor: string): Promise<boolean> {
    const disk = await this.get(id);
    if (disk.status !== DiskStatus.MISSING)
      throw new AppError(
        ErrorCode.DISK_NOT_MISSING,
        `Disk ${disk.alias} is ${disk.status}; only a MISSING disk can be forgotten`,
      );
    await this.s.db.transaction(async (em) => {
      const related = await withTemplates(em, [disk.id]);
      await em.delete(DiskAttachment, { diskId: disk.id });
      await em.delete(Volume, { diskId: disk.id, missing: true });
      await em.update(Volume, { diskId: disk.id }, { diskId: null });
      await em.update(Disk, { templateDiskId: disk.id }, { templateDiskId: null });
      await em.delete(Disk, { id: disk.id });
      await refreshAssessments(
        em,
        related.filter((d) => d !== disk.id),
      );
      await recordEvent(em, {
        type: "DISK_FORGOTTEN",
        actor,
        diskId: disk.id,
        message: `Missing disk ${disk.alias} removed from the inventory`,
      });
    });
    return true;
  }
}
