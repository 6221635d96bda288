import { MigrationInterface, QueryRunner } from "typeorm";

export class RunStillAlive1795976494946 implements MigrationInterface {
    name = 'RunStillAlive1795976494946'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "disk" ADD "runStillAlive" jsonb`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "disk" DROP COLUMN "runStillAlive"`);
    }
}
