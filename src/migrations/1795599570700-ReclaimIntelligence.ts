import { MigrationInterface, QueryRunner } from "typeorm";

export class ReclaimIntelligence1795599570700 implements MigrationInterface {
    name = 'ReclaimIntelligence1795599570700'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "sparsify_schedule" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "storageDomainId" uuid NOT NULL, "cron" text NOT NULL, "timezone" text NOT NULL DEFAULT 'UTC', "windowStart" text, "windowEnd" text, "maxConcurrent" integer NOT NULL DEFAULT '1', "enabled" boolean NOT NULL DEFAULT true, "lastRunAt" TIMESTAMP WITH TIME ZONE, "lastRunSummary" jsonb, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_280dbecc006896266b52a18fc4a" UNIQUE ("storageDomainId"), CONSTRAINT "PK_395fa5807d127baf2999dcb58f5" PRIMARY KEY ("id"))`);
        await queryRunner.query(`ALTER TABLE "disk" ADD "reclaimableEstimate" bigint`);
        await queryRunner.query(`ALTER TABLE "disk" ADD "reclaimableAfterMerge" bigint`);
        await queryRunner.query(`ALTER TABLE "disk" ADD "estimateMethod" text`);
        await queryRunner.query(`ALTER TABLE "disk" ADD "estimatedAt" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "disk" ADD "estimateUnavailableReason" text`);
        await queryRunner.query(`ALTER TABLE "disk" ADD "needsSparsify" boolean NOT NULL DEFAULT false`);
        await queryRunner.query(`ALTER TABLE "storage_domain" ADD "minReclaimableBytes" bigint`);
        await queryRunner.query(`ALTER TABLE "storage_domain" ADD "minReclaimableRatio" double precision`);
        await queryRunner.query(`CREATE INDEX "IDX_e45939ff5ac49c4183f0a47286" ON "disk"  ("reclaimableEstimate") `);
        await queryRunner.query(`CREATE INDEX "IDX_7e1509749c697b01f64fcfbe19" ON "disk"  ("needsSparsify") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."IDX_7e1509749c697b01f64fcfbe19"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_e45939ff5ac49c4183f0a47286"`);
        await queryRunner.query(`ALTER TABLE "storage_domain" DROP COLUMN "minReclaimableRatio"`);
        await queryRunner.query(`ALTER TABLE "storage_domain" DROP COLUMN "minReclaimableBytes"`);
        await queryRunner.query(`ALTER TABLE "disk" DROP COLUMN "needsSparsify"`);
        await queryRunner.query(`ALTER TABLE "disk" DROP COLUMN "estimateUnavailableReason"`);
        await queryRunner.query(`ALTER TABLE "disk" DROP COLUMN "estimatedAt"`);
        await queryRunner.query(`ALTER TABLE "disk" DROP COLUMN "estimateMethod"`);
        await queryRunner.query(`ALTER TABLE "disk" DROP COLUMN "reclaimableAfterMerge"`);
        await queryRunner.query(`ALTER TABLE "disk" DROP COLUMN "reclaimableEstimate"`);
        await queryRunner.query(`DROP TABLE "sparsify_schedule"`);
    }

}
