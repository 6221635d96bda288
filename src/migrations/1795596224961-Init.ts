import { MigrationInterface, QueryRunner } from "typeorm";

export class Init1795596224961 implements MigrationInterface {
    name = 'Init1795596224961'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "event" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "type" text NOT NULL, "diskId" uuid, "jobId" uuid, "storageDomainId" uuid, "actor" text NOT NULL DEFAULT 'system', "message" text NOT NULL, "data" jsonb NOT NULL DEFAULT '{}', "createdAt" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_30c2f3bbaf6d34a55f8ae6e4614" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_1312df5cae42f7dbcebf3413f2" ON "event"  ("diskId") `);
        await queryRunner.query(`CREATE INDEX "IDX_719dffe32bdb1738a646763acd" ON "event"  ("jobId") `);
        await queryRunner.query(`CREATE INDEX "IDX_77b45e61f3194ba2be468b0778" ON "event"  ("createdAt") `);
        await queryRunner.query(`CREATE TYPE "public"."disk_format_enum" AS ENUM('RAW', 'QCOW2')`);
        await queryRunner.query(`CREATE TYPE "public"."disk_allocation_enum" AS ENUM('SPARSE', 'PREALLOCATED')`);
        await queryRunner.query(`CREATE TYPE "public"."disk_allocationsource_enum" AS ENUM('DETECTED', 'INFERRED', 'SET_BY_USER')`);
        await queryRunner.query(`CREATE TYPE "public"."disk_storagetype_enum" AS ENUM('IMAGE', 'LUN', 'MANAGED_BLOCK')`);
        await queryRunner.query(`CREATE TYPE "public"."disk_status_enum" AS ENUM('OK', 'LOCKED', 'ILLEGAL', 'MISSING')`);
        await queryRunner.query(`CREATE TABLE "disk" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "storageDomainId" uuid NOT NULL, "baseVolumeId" uuid, "leafVolumeId" uuid, "alias" text NOT NULL, "format" "public"."disk_format_enum" NOT NULL, "allocation" "public"."disk_allocation_enum" NOT NULL DEFAULT 'SPARSE', "allocationSource" "public"."disk_allocationsource_enum" NOT NULL DEFAULT 'DETECTED', "storageType" "public"."disk_storagetype_enum" NOT NULL DEFAULT 'IMAGE', "virtualSize" bigint NOT NULL DEFAULT '0', "actualSize" bigint NOT NULL DEFAULT '0', "status" "public"."disk_status_enum" NOT NULL DEFAULT 'OK', "ownVolumeCount" integer NOT NULL DEFAULT '1', "templateDiskId" uuid, "chainProblem" text, "sparsifiable" boolean NOT NULL DEFAULT false, "blockers" jsonb NOT NULL DEFAULT '[]', "warnings" jsonb NOT NULL DEFAULT '[]', "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_c990f64fe061843b1d3c08ccd17" UNIQUE ("baseVolumeId"), CONSTRAINT "PK_8c350699d176e2c772deb15ef9f" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_8d165aeea1b62873920d4b7429" ON "disk"  ("storageDomainId") `);
        await queryRunner.query(`CREATE INDEX "IDX_4d07cb9c5526cfe7552d2413cd" ON "disk"  ("alias") `);
        await queryRunner.query(`CREATE INDEX "IDX_06da66f60752ce5f6642581820" ON "disk"  ("virtualSize") `);
        await queryRunner.query(`CREATE INDEX "IDX_a3a77f6b5ac7fdfe3e243a100b" ON "disk"  ("actualSize") `);
        await queryRunner.query(`CREATE INDEX "IDX_d391dfb7fa7b14634f384ca7cc" ON "disk"  ("templateDiskId") `);
        await queryRunner.query(`CREATE INDEX "IDX_2a3672bd05b14effd79810ab3d" ON "disk"  ("sparsifiable") `);
        await queryRunner.query(`CREATE INDEX "IDX_535af03b5370e1bf3388eaa238" ON "disk"  ("storageDomainId", "alias") `);
        await queryRunner.query(`CREATE TABLE "disk_attachment" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "vmId" uuid NOT NULL, "diskId" uuid NOT NULL, "plugged" boolean NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_bce327ea35f561cae5130c61e25" UNIQUE ("vmId", "diskId"), CONSTRAINT "PK_24d2d494434e47b93dab18377a8" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_853546b288d5b7e64236e46499" ON "disk_attachment"  ("diskId") `);
        await queryRunner.query(`CREATE TABLE "host" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "name" text NOT NULL, "heartbeatAt" TIMESTAMP WITH TIME ZONE NOT NULL, "storageDomainIds" uuid array NOT NULL DEFAULT '{}', "concurrency" integer NOT NULL, "virtSparsifyVersion" text, "qemuVersion" text, "accel" text NOT NULL DEFAULT 'TCG', "applianceReady" boolean NOT NULL DEFAULT false, "maintenance" boolean NOT NULL DEFAULT false, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_d93daa8d96a567c9904ba530251" UNIQUE ("name"), CONSTRAINT "PK_44424c24c2f9b1d7bbf8721f4c4" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TYPE "public"."sparsify_job_state_enum" AS ENUM('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')`);
        await queryRunner.query(`CREATE TABLE "sparsify_job" ("id" uuid NOT NULL, "diskId" uuid NOT NULL, "storageDomainId" uuid NOT NULL, "state" "public"."sparsify_job_state_enum" NOT NULL DEFAULT 'QUEUED', "phase" text NOT NULL DEFAULT 'QUEUED', "progress" integer NOT NULL DEFAULT '0', "host" text, "actualSizeBefore" bigint, "actualSizeAfter" bigint, "outcome" text, "outcomeMessage" text, "errorCode" text, "errorMessage" text, "attempts" integer NOT NULL DEFAULT '0', "requestedBy" text NOT NULL DEFAULT 'anonymous', "trigger" text NOT NULL DEFAULT 'USER', "cancelRequestedAt" TIMESTAMP WITH TIME ZONE, "createdAt" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "startedAt" TIMESTAMP WITH TIME ZONE, "finishedAt" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_3d17f6d8b0854c51e1ce67503c6" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_d923c3fc65e1b0244807d0b4ba" ON "sparsify_job"  ("state") `);
        await queryRunner.query(`CREATE INDEX "IDX_dc254febbc6e7de91eb79d9939" ON "sparsify_job"  ("diskId", "createdAt") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "sparsify_job_one_active_per_disk" ON "sparsify_job"  ("diskId") WHERE "state" IN ('QUEUED', 'RUNNING')`);
        await queryRunner.query(`CREATE TYPE "public"."storage_domain_kind_enum" AS ENUM('FILE', 'BLOCK')`);
        await queryRunner.query(`CREATE TYPE "public"."storage_domain_scanstate_enum" AS ENUM('NEVER', 'QUEUED', 'SCANNING', 'DONE', 'FAILED')`);
        await queryRunner.query(`CREATE TABLE "storage_domain" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "name" text NOT NULL, "path" text NOT NULL, "kind" "public"."storage_domain_kind_enum" NOT NULL DEFAULT 'FILE', "active" boolean NOT NULL DEFAULT true, "inaccessibleReason" text, "nfsVersion" text, "scanState" "public"."storage_domain_scanstate_enum" NOT NULL DEFAULT 'NEVER', "scanError" text, "lastScannedAt" TIMESTAMP WITH TIME ZONE, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_b74fe4e7260eef9ad591ea71b00" UNIQUE ("name"), CONSTRAINT "UQ_27f56365bef50c96f61349f286e" UNIQUE ("path"), CONSTRAINT "PK_1a054f6b2057a51a9b2555983dd" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TYPE "public"."vm_status_enum" AS ENUM('DOWN', 'UP', 'POWERING_UP', 'POWERING_DOWN', 'PAUSED', 'SUSPENDED', 'MIGRATING', 'REBOOTING', 'SAVING_STATE', 'RESTORING_STATE', 'WAIT_FOR_LAUNCH', 'NOT_RESPONDING', 'UNKNOWN')`);
        await queryRunner.query(`CREATE TABLE "vm" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "name" text NOT NULL, "status" "public"."vm_status_enum" NOT NULL DEFAULT 'DOWN', "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_aa0efabf0fa44d9358a3d382c4a" UNIQUE ("name"), CONSTRAINT "PK_3111768eccf1e167186faefd138" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TYPE "public"."volume_format_enum" AS ENUM('RAW', 'QCOW2')`);
        await queryRunner.query(`CREATE TABLE "volume" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "storageDomainId" uuid NOT NULL, "diskId" uuid, "relPath" text NOT NULL, "format" "public"."volume_format_enum" NOT NULL, "virtualSize" bigint NOT NULL DEFAULT '0', "actualSize" bigint NOT NULL DEFAULT '0', "backingVolumeId" uuid, "backingPath" text, "problem" text, "depth" integer NOT NULL DEFAULT '0', "missing" boolean NOT NULL DEFAULT false, "scannedAt" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_ddd1f23830ded6e6f97c4557d13" UNIQUE ("storageDomainId", "relPath"), CONSTRAINT "PK_666025cd0c36727216bb7f2a680" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_3b71c072078c9ad9ceb59d6491" ON "volume"  ("diskId") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."IDX_3b71c072078c9ad9ceb59d6491"`);
        await queryRunner.query(`DROP TABLE "volume"`);
        await queryRunner.query(`DROP TYPE "public"."volume_format_enum"`);
        await queryRunner.query(`DROP TABLE "vm"`);
        await queryRunner.query(`DROP TYPE "public"."vm_status_enum"`);
        await queryRunner.query(`DROP TABLE "storage_domain"`);
        await queryRunner.query(`DROP TYPE "public"."storage_domain_scanstate_enum"`);
        await queryRunner.query(`DROP TYPE "public"."storage_domain_kind_enum"`);
        await queryRunner.query(`DROP INDEX "public"."sparsify_job_one_active_per_disk"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_dc254febbc6e7de91eb79d9939"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_d923c3fc65e1b0244807d0b4ba"`);
        await queryRunner.query(`DROP TABLE "sparsify_job"`);
        await queryRunner.query(`DROP TYPE "public"."sparsify_job_state_enum"`);
        await queryRunner.query(`DROP TABLE "host"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_853546b288d5b7e64236e46499"`);
        await queryRunner.query(`DROP TABLE "disk_attachment"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_535af03b5370e1bf3388eaa238"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_2a3672bd05b14effd79810ab3d"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_d391dfb7fa7b14634f384ca7cc"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_a3a77f6b5ac7fdfe3e243a100b"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_06da66f60752ce5f6642581820"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_4d07cb9c5526cfe7552d2413cd"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_8d165aeea1b62873920d4b7429"`);
        await queryRunner.query(`DROP TABLE "disk"`);
        await queryRunner.query(`DROP TYPE "public"."disk_status_enum"`);
        await queryRunner.query(`DROP TYPE "public"."disk_storagetype_enum"`);
        await queryRunner.query(`DROP TYPE "public"."disk_allocationsource_enum"`);
        await queryRunner.query(`DROP TYPE "public"."disk_allocation_enum"`);
        await queryRunner.query(`DROP TYPE "public"."disk_format_enum"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_77b45e61f3194ba2be468b0778"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_719dffe32bdb1738a646763acd"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_1312df5cae42f7dbcebf3413f2"`);
        await queryRunner.query(`DROP TABLE "event"`);
    }

}
