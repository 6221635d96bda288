import { MigrationInterface, QueryRunner } from "typeorm";

export class DirectMethod1795977000000 implements MigrationInterface {
    name = 'DirectMethod1795977000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "storage_domain" ADD "sparsifyMethod" text NOT NULL DEFAULT 'VIRT_SPARSIFY'`);
        await queryRunner.query(`ALTER TABLE "storage_domain" ADD "directVerify" text NOT NULL DEFAULT 'STANDARD'`);
        await queryRunner.query(`ALTER TABLE "sparsify_job" ADD "methodUsed" text`);
        await queryRunner.query(`ALTER TABLE "sparsify_job" ADD "fallbackReason" text`);
        await queryRunner.query(`ALTER TABLE "sparsify_job" ADD "skippedPartitions" jsonb`);
        await queryRunner.query(`ALTER TABLE "disk" ADD "directVerificationFailed" jsonb`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "disk" DROP COLUMN "directVerificationFailed"`);
        await queryRunner.query(`ALTER TABLE "sparsify_job" DROP COLUMN "skippedPartitions"`);
        await queryRunner.query(`ALTER TABLE "sparsify_job" DROP COLUMN "fallbackReason"`);
        await queryRunner.query(`ALTER TABLE "sparsify_job" DROP COLUMN "methodUsed"`);
        await queryRunner.query(`ALTER TABLE "storage_domain" DROP COLUMN "directVerify"`);
        await queryRunner.query(`ALTER TABLE "storage_domain" DROP COLUMN "sparsifyMethod"`);
    }
}
