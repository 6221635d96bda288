import { EstimateUnavailableReason } from "../domain/estimate-enums.js";
import type { DataSource } from "typeorm";
import type { SparsifyIssueCode } from "../domain/sparsify-issue.js";
import { Disk } from "../entities/index.js";
import type { ImageRefusal } from "../host/inspect/image-refusal.js";
import { refreshAssessments } from "./disk-assessment.service.js";

/**
 * Stores an inspector refusal found at run time on the disk: it becomes a blocker, the estimator
 * skips the disk, and no qemu tool opens it again until a rescan finds every layer clean.
 */
export async function recordRefusal(db: DataSource, diskId: string, refusal: ImageRefusal): Promise<void> {
  await db.transaction(async (em) => {
    const inspection = {
      code: refusal.code as unknown as SparsifyIssueCode,
      message: `The image inspector refused the disk (${refusal.code}): ${refusal.message}`,
    };
    await em.update(
      Disk,
      { id: diskId },
      {
        inspection,
        reclaimableEstimate: null,
        reclaimableAfterMerge: null,
        estimateMethod: null,
        estimateUnavailableReason: refusal.code as unknown as EstimateUnavailableReason,
        needsSparsify: false,
      },
    );
    await refreshAssessments(em, [diskId]);
  });
}
