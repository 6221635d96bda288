import { MigrationInterface, QueryRunner } from "typeorm";

/** VMs from libvirt: source + host + libvirt UUID, names unique per host only, host libvirt state. */
export class LibvirtVms1795976049080 implements MigrationInterface {
    name = 'LibvirtVms1795976049080'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TYPE "public"."vm_source_enum" AS ENUM('LIBVIRT', 'MANUAL')`);
        await queryRunner.query(`ALTER TABLE "vm" ADD "source" "public"."vm_source_enum" NOT NULL DEFAULT 'MANUAL'`);
        await queryRunner.query(`ALTER TABLE "vm" ADD "hostId" uuid`);
        await queryRunner.query(`ALTER TABLE "vm" ADD "libvirtUuid" uuid`);
        await queryRunner.query(`ALTER TABLE "vm" ADD "libvirtState" text`);
        await queryRunner.query(`ALTER TABLE "vm" ADD "disks" jsonb NOT NULL DEFAULT '[]'`);
        await queryRunner.query(`ALTER TABLE "vm" ADD "syncedAt" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "vm" DROP CONSTRAINT "UQ_aa0efabf0fa44d9358a3d382c4a"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_vm_manual_name" ON "vm" ("name") WHERE "source" = 'MANUAL'`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_vm_libvirt_uuid" ON "vm" ("libvirtUuid")`);
        await queryRunner.query(`CREATE INDEX "IDX_vm_host" ON "vm" ("hostId")`);
        await queryRunner.query(`ALTER TABLE "host" ADD "libvirtUri" text`);
        await queryRunner.query(`ALTER TABLE "host" ADD "libvirtState" text NOT NULL DEFAULT 'DISABLED'`);
        await queryRunner.query(`ALTER TABLE "host" ADD "libvirtLastEventAt" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "host" ADD "libvirtMessage" text`);
        await queryRunner.query(`ALTER TABLE "disk_attachment" ADD "volumeId" uuid`);
        await queryRunner.query(`ALTER TABLE "disk_attachment" ADD "targetDev" text`);
        await queryRunner.query(`ALTER TABLE "disk_attachment" ADD "driverType" text`);
        await queryRunner.query(`ALTER TABLE "disk_attachment" ADD "readOnly" boolean NOT NULL DEFAULT false`);
        await queryRunner.query(`ALTER TABLE "disk_attachment" ADD "shareable" boolean NOT NULL DEFAULT false`);
        await queryRunner.query(`CREATE INDEX "IDX_disk_attachment_volume" ON "disk_attachment" ("volumeId")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."IDX_disk_attachment_volume"`);
        for (const c of ["shareable", "readOnly", "driverType", "targetDev", "volumeId"]) await queryRunner.query(`ALTER TABLE "disk_attachment" DROP COLUMN "${c}"`);
        for (const c of ["libvirtMessage", "libvirtLastEventAt", "libvirtState", "libvirtUri"]) await queryRunner.query(`ALTER TABLE "host" DROP COLUMN "${c}"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_vm_host"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_vm_libvirt_uuid"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_vm_manual_name"`);
        await queryRunner.query(`DELETE FROM "vm" WHERE "source" = 'LIBVIRT'`);
        await queryRunner.query(`ALTER TABLE "vm" ADD CONSTRAINT "UQ_aa0efabf0fa44d9358a3d382c4a" UNIQUE ("name")`);
        for (const c of ["syncedAt", "disks", "libvirtState", "libvirtUuid", "hostId", "source"]) await queryRunner.query(`ALTER TABLE "vm" DROP COLUMN "${c}"`);
        await queryRunner.query(`DROP TYPE "public"."vm_source_enum"`);
    }
}
