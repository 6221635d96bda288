import type { EstimateMethod, EstimateUnavailableReason } from "./estimate-enums.js";
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import type { SparsifyIssue } from "./sparsify-issue.js";
import { bigintAsNumber } from "./bigint-transformer.js";
import type { RunStillAlive } from "./run-still-alive.js";
import type { DirectVerificationFailure } from "./direct-verification-failure.js";
import { AllocationSource, DiskAllocation, DiskFormat, DiskStatus, StorageType } from "./enums.js";

@Entity("disk")
@Index(["storageDomainId", "alias"])
// Made by the DiskListIndexes migration (a trigram GIN index and an expression index): not synchronised.
@Index("IDX_disk_alias_trgm", { synchronize: false })
@Index("IDX_disk_reclaimable_order", { synchronize: false })
export class Disk {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Index()
  @Column({ type: "uuid" })
  storageDomainId: string;

  /** The disk's identity on storage: its lowest own volume (stable when snapshots add leaves). */
  @Column({ type: "uuid", unique: true, nullable: true })
  baseVolumeId: string | null;

  @Column({ type: "uuid", nullable: true })
  leafVolumeId: string | null;

  @Index()
  @Column({ type: "text" })
  alias: string;

  @Column({ type: "enum", enum: DiskFormat })
  format: DiskFormat;

  @Column({ type: "enum", enum: DiskAllocation, default: DiskAllocation.SPARSE })
  allocation: DiskAllocation;

  @Column({ type: "enum", enum: AllocationSource, default: AllocationSource.DETECTED })
  allocationSource: AllocationSource;

  @Column({ type: "enum", enum: StorageType, default: StorageType.IMAGE })
  storageType: StorageType;

  @Index()
  @Column({ type: "bigint", transformer: bigintAsNumber, default: 0 })
  virtualSize: number;

  /** Allocated bytes of the disk's own volumes (leaf and snapshot layers, not its template). */
  @Index()
  @Column({ type: "bigint", transformer: bigintAsNumber, default: 0 })
  actualSize: number;

  @Column({ type: "enum", enum: DiskStatus, default: DiskStatus.OK })
  status: DiskStatus;

  @Column({ type: "int", default: 1 })
  ownVolumeCount: number;

  @Index()
  @Column({ type: "uuid", nullable: true })
  templateDiskId: string | null;

  @Column({ type: "text", nullable: true })
  chainProblem: string | null;

  /**
   * Why the image inspector refuses this disk (one of its volumes or its template's), or
   * NOT_INSPECTED until a scan has inspected it; null when every layer is clean.
   */
  @Column({ type: "jsonb", nullable: true })
  inspection: SparsifyIssue | null;

  /**
   * Stored result of assessSparsify(), recomputed whenever a fact it reads changes, so that
   * filtering and counting happen in SQL without a second copy of the rules.
   */
  @Index()
  @Column({ type: "boolean", default: false })
  sparsifiable: boolean;

  @Column({ type: "jsonb", default: () => "'[]'" })
  blockers: SparsifyIssue[];

  @Column({ type: "jsonb", default: () => "'[]'" })
  warnings: SparsifyIssue[];

  /** Bytes sparsifying the leaf would give back, estimated read-only; null when unknown. */
  @Index()
  @Column({ type: "bigint", transformer: bigintAsNumber, nullable: true })
  reclaimableEstimate: number | null;

  /** How much more merging the snapshots first would free; null without snapshots or estimate. */
  @Column({ type: "bigint", transformer: bigintAsNumber, nullable: true })
  reclaimableAfterMerge: number | null;

  @Column({ type: "text", nullable: true })
  estimateMethod: EstimateMethod | null;

  /** The method in words: the filesystems used and skipped, e.g. "ext4+swap: free blocks ∩ qemu-img map". */
  @Column({ type: "text", nullable: true })
  estimateDetail: string | null;

  @Column({ type: "timestamptz", nullable: true })
  estimatedAt: Date | null;

  /** Why there is no estimate: NO_FILESYSTEM, UNSUPPORTED_FILESYSTEM, LVM, ENCRYPTED, IMAGE_IN_USE… */
  @Column({ type: "text", nullable: true })
  estimateUnavailableReason: EstimateUnavailableReason | null;

  /**
   * Processes of an ended run that outlived SIGKILL (stuck on hung storage, they may still write
   * the image): the disk is blocked (RUN_STILL_ALIVE) until that host's worker sees them gone.
   */
  @Column({ type: "jsonb", nullable: true })
  runStillAlive: RunStillAlive | null;

  /** A DIRECT run of this disk failed its verification: blocked (DIRECT_VERIFICATION_FAILED) until an admin clears it. */
  @Column({ type: "jsonb", nullable: true })
  directVerificationFailed: DirectVerificationFailure | null;

  /** Stored result of needsSparsify() under the domain's policy, so lists filter in SQL. */
  @Index()
  @Column({ type: "boolean", default: false })
  needsSparsify: boolean;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt: Date;
}
