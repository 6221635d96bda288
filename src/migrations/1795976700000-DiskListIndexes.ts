import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Indexes for the disk list at 100,000 disks: trigrams for the alias text filter (`ILIKE '%…%'`
 * cannot use a btree) and the reclaimable ordering's exact expression with its id tie-breaker.
 * pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner can create it; see README.
 */
export class DiskListIndexes1795976700000 implements MigrationInterface {
    name = 'DiskListIndexes1795976700000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
        await queryRunner.query(`CREATE INDEX "IDX_disk_alias_trgm" ON "disk" USING gin ("alias" gin_trgm_ops)`);
        await queryRunner.query(`CREATE INDEX "IDX_disk_reclaimable_order" ON "disk" ((COALESCE("reclaimableEstimate", 0)), "id")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_disk_reclaimable_order"`);
        await queryRunner.query(`DROP INDEX "IDX_disk_alias_trgm"`);
        // pg_trgm stays: other objects may use it, and dropping it needs the rights creating it did.
    }
}
