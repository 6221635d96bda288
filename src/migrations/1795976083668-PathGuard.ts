import { MigrationInterface, QueryRunner } from "typeorm";

/** Volume file identities (device, inode) for the check-before-use guard; the scan lease. */
export class PathGuard1795976083668 implements MigrationInterface {
    name = 'PathGuard1795976083668'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "volume" ADD "fileDevice" text`);
        await queryRunner.query(`ALTER TABLE "volume" ADD "fileInode" text`);
        await queryRunner.query(`ALTER TABLE "storage_domain" ADD "scanLeaseOwner" text`);
        await queryRunner.query(`ALTER TABLE "storage_domain" ADD "scanLeaseUntil" TIMESTAMP WITH TIME ZONE`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "storage_domain" DROP COLUMN "scanLeaseUntil"`);
        await queryRunner.query(`ALTER TABLE "storage_domain" DROP COLUMN "scanLeaseOwner"`);
        await queryRunner.query(`ALTER TABLE "volume" DROP COLUMN "fileInode"`);
        await queryRunner.query(`ALTER TABLE "volume" DROP COLUMN "fileDevice"`);
    }

}
