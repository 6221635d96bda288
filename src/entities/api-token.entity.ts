import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";

export enum Role {
  VIEWER = "viewer",
  OPERATOR = "operator",
  ADMIN = "admin",
}

/**
 * An API token. Only the SHA-256 digest of the secret is stored: secrets are 256-bit random, so
 * a slow password hash would buy nothing and make thousands of WebSocket connects expensive.
 */
@Entity("api_token")
export class ApiToken {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "text", unique: true })
  name: string;

  @Column({ type: "enum", enum: Role })
  role: Role;

  /** Hex SHA-256 of the secret. */
  @Column({ type: "text", unique: true })
  digest: string;

  @Column({ type: "timestamptz", nullable: true })
  expiresAt: Date | null;

  @Column({ type: "timestamptz", nullable: true })
  revokedAt: Date | null;

  @Column({ type: "text", default: "system" })
  createdBy: string;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
