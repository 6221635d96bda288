import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The image inspector: a refusal per volume and per disk. Disks scanned before it existed are
 * NOT_INSPECTED (a blocker, no estimate) until the rescan every worker queues when it starts.
 */
export class ImageInspector1795976314305 implements MigrationInterface {
    name = 'ImageInspector1795976314305'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "volume" ADD "refusalCode" text`);
        await queryRunner.query(`ALTER TABLE "volume" ADD "inspectedAt" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "disk" ADD "inspection" jsonb`);
        const notInspected = JSON.stringify({ code: "NOT_INSPECTED", message: "The disk was scanned before image inspection existed; it stays blocked until the storage domain is rescanned" });
        await queryRunner.query(
            `UPDATE "disk" SET "inspection" = $1::jsonb, "sparsifiable" = false, "blockers" = "blockers" || jsonb_build_array($1::jsonb),
                    "reclaimableEstimate" = NULL, "reclaimableAfterMerge" = NULL, "estimateMethod" = NULL, "estimateUnavailableReason" = 'NOT_INSPECTED', "needsSparsify" = false
              WHERE "status" <> 'MISSING'`,
            [notInspected],
        );
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`UPDATE "disk" SET "blockers" = COALESCE((SELECT jsonb_agg(b) FROM jsonb_array_elements("blockers") b WHERE b->>'code' <> 'NOT_INSPECTED'), '[]'::jsonb) WHERE "inspection"->>'code' = 'NOT_INSPECTED'`);
        await queryRunner.query(`ALTER TABLE "disk" DROP COLUMN "inspection"`);
        await queryRunner.query(`ALTER TABLE "volume" DROP COLUMN "inspectedAt"`);
        await queryRunner.query(`ALTER TABLE "volume" DROP COLUMN "refusalCode"`);
    }
}
