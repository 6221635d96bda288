import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

/**
 * Periodic sparsify of one storage domain. The timing lives in a BullMQ job scheduler on the
 * domain's queue (one per domain id, so it fires once however many gateways run); this row is
 * what an admin set and what the last run did.
 */
@Entity("sparsify_schedule")
export class SparsifySchedule {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "uuid", unique: true })
  storageDomainId: string;

  /** Five-field cron expression, e.g. "0 2 * * 6". */
  @Column({ type: "text" })
  cron: string;

  /** IANA time zone for the cron expression and the window. */
  @Column({ type: "text", default: "UTC" })
  timezone: string;

  /** Optional maintenance window "HH:MM" to "HH:MM" (may wrap past midnight). */
  @Column({ type: "text", nullable: true })
  windowStart: string | null;

  @Column({ type: "text", nullable: true })
  windowEnd: string | null;

  @Column({ type: "int", default: 1 })
  maxConcurrent: number;

  @Column({ type: "boolean", default: true })
  enabled: boolean;

  @Column({ type: "timestamptz", nullable: true })
  lastRunAt: Date | null;

  @Column({ type: "jsonb", nullable: true })
  lastRunSummary: Record<string, unknown> | null;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt: Date;
}
