import type { DirectFallbackReason, SparsifyMethod } from "./direct-method.js";
import type { SkippedPartitionRecord } from "./skipped-partition.js";
import type { JobErrorCode } from "./job-error-code.js";
import { JobTrigger, SparsifyPhase } from "./sparsify-job-enums.js";
import type { SparsifyOutcome } from "./sparsify-outcome.js";
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from "typeorm";
import { bigintAsNumber } from "./bigint-transformer.js";
import { JobState } from "./enums.js";

/**
 * The truth about one sparsify request; BullMQ only carries it (same id). The partial unique
 * index is the guard that two concurrent requests can never create two active jobs for one disk.
 */
@Entity("sparsify_job")
@Index("sparsify_job_one_active_per_disk", ["diskId"], { unique: true, where: `"state" IN ('QUEUED', 'RUNNING')` })
@Index(["diskId", "createdAt"])
@Index(["state"])
export class SparsifyJob {
  @PrimaryColumn("uuid")
  id: string;

  @Column({ type: "uuid" })
  diskId: string;

  @Column({ type: "uuid" })
  storageDomainId: string;

  @Column({ type: "enum", enum: JobState, default: JobState.QUEUED })
  state: JobState;

  /** Text, not a PostgreSQL enum, so adding a value is a one-line change (same for the codes below). */
  @Column({ type: "text", default: SparsifyPhase.QUEUED })
  phase: SparsifyPhase;

  @Column({ type: "int", default: 0 })
  progress: number;

  @Column({ type: "text", nullable: true })
  host: string | null;

  @Column({ type: "bigint", transformer: bigintAsNumber, nullable: true })
  actualSizeBefore: number | null;

  @Column({ type: "bigint", transformer: bigintAsNumber, nullable: true })
  actualSizeAfter: number | null;

  @Column({ type: "text", nullable: true })
  outcome: SparsifyOutcome | null;

  @Column({ type: "text", nullable: true })
  outcomeMessage: string | null;

  @Column({ type: "text", nullable: true })
  errorCode: JobErrorCode | null;

  @Column({ type: "text", nullable: true })
  errorMessage: string | null;

  @Column({ type: "int", default: 0 })
  attempts: number;

  /** The method that ran (or is running); null until the worker chose one. */
  @Column({ type: "text", nullable: true })
  methodUsed: SparsifyMethod | null;

  /** Why a job asked to run DIRECT ran virt-sparsify instead; null otherwise. */
  @Column({ type: "text", nullable: true })
  fallbackReason: DirectFallbackReason | null;

  /** Partitions (or gaps) a DIRECT run left untouched, and what was found there. */
  @Column({ type: "jsonb", nullable: true })
  skippedPartitions: SkippedPartitionRecord[] | null;

  @Column({ type: "text", default: "anonymous" })
  requestedBy: string;

  @Column({ type: "text", default: JobTrigger.USER })
  trigger: JobTrigger;

  /** Set when a cancel was asked while RUNNING: the worker finishes it as CANCELLED. */
  @Column({ type: "timestamptz", nullable: true })
  cancelRequestedAt: Date | null;

  /** Millisecond precision so a JS Date in a page cursor matches the stored value exactly. */
  @CreateDateColumn({ type: "timestamptz", precision: 3 })
  createdAt: Date;

  @Column({ type: "timestamptz", nullable: true })
  startedAt: Date | null;

  @Column({ type: "timestamptz", nullable: true })
  finishedAt: Date | null;
}
