import { MigrationInterface, QueryRunner } from "typeorm";

export class ApiTokens1795598726493 implements MigrationInterface {
    name = 'ApiTokens1795598726493'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TYPE "public"."api_token_role_enum" AS ENUM('viewer', 'operator', 'admin')`);
        await queryRunner.query(`CREATE TABLE "api_token" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "name" text NOT NULL, "role" "public"."api_token_role_enum" NOT NULL, "digest" text NOT NULL, "expiresAt" TIMESTAMP WITH TIME ZONE, "revokedAt" TIMESTAMP WITH TIME ZONE, "createdBy" text NOT NULL DEFAULT 'system', "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_8b2c31d18cfaa1f93b4c9f142b5" UNIQUE ("name"), CONSTRAINT "UQ_72a89e689ba1f166e088819ce0b" UNIQUE ("digest"), CONSTRAINT "PK_d862311c568d175c26f41bc6f98" PRIMARY KEY ("id"))`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "api_token"`);
        await queryRunner.query(`DROP TYPE "public"."api_token_role_enum"`);
    }

}
