import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Issue 15: phase, outcome, trigger, errorCode, estimateMethod and estimateUnavailableReason are
 * GraphQL enums now. The columns stay text (adding a value needs no migration); this maps what
 * older versions stored onto the enums. estimateMethod held a label for people: it moves to
 * estimateDetail and the method becomes FREE_BLOCKS, the only method there is.
 */
export class ContractEnums1795976087596 implements MigrationInterface {
  name = "ContractEnums1795976087596";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "disk" ADD "estimateDetail" text`);
    await queryRunner.query(`UPDATE "disk" SET "estimateDetail" = "estimateMethod", "estimateMethod" = 'FREE_BLOCKS' WHERE "estimateMethod" IS NOT NULL`);
    await queryRunner.query(
      `UPDATE "disk" SET "estimateUnavailableReason" = 'UNREADABLE'
        WHERE "estimateUnavailableReason" NOT IN ('NO_FILESYSTEM', 'UNSUPPORTED_FILESYSTEM', 'LVM', 'ENCRYPTED', 'IMAGE_IN_USE', 'UNREADABLE', 'TIMED_OUT')`,
    );
    // Codes no version ever wrote cannot be mapped faithfully: keep them in the message.
    await queryRunner.query(
      `UPDATE "sparsify_job" SET "errorMessage" = "errorCode" || ': ' || COALESCE("errorMessage", ''), "errorCode" = 'INTERNAL_ERROR'
        WHERE "errorCode" NOT IN ('IMAGE_IN_USE', 'IMAGE_NOT_FOUND', 'IMAGE_UNREADABLE', 'PERMISSION_DENIED', 'WRONG_FORMAT', 'PREALLOCATED', 'CHAIN_CHANGED',
          'CHAIN_INVALID', 'DISK_MISSING', 'DISK_NOT_SPARSIFIABLE', 'APPLIANCE_FAILED', 'TIMED_OUT', 'CANCELLED', 'SPARSIFY_FAILED', 'WORKER_LOST',
          'QUEUE_UNAVAILABLE', 'INTERNAL_ERROR')`,
    );
    await queryRunner.query(`UPDATE "sparsify_job" SET "trigger" = 'USER' WHERE "trigger" NOT IN ('USER', 'SCHEDULE')`);
    await queryRunner.query(`UPDATE "sparsify_job" SET "phase" = 'QUEUED' WHERE "phase" NOT IN ('QUEUED', 'CHECKING', 'LAUNCHING', 'TRIMMING', 'MEASURING', 'DONE')`);
    await queryRunner.query(`UPDATE "sparsify_job" SET "outcome" = NULL WHERE "outcome" NOT IN ('RECLAIMED', 'NOTHING_TO_RECLAIM', 'NO_FILESYSTEM_FOUND', 'GREW')`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE "disk" SET "estimateMethod" = "estimateDetail" WHERE "estimateDetail" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "disk" DROP COLUMN "estimateDetail"`);
  }
}
