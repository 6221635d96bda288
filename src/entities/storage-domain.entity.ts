import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";
import { bigintAsNumber } from "./bigint-transformer.js";
import { DirectVerifyMode } from "./direct-verify-mode.js";
import { SparsifyMethod } from "./direct-method.js";
import { ScanState, StorageKind } from "./enums.js";

@Entity("storage_domain")
export class StorageDomain {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "text", unique: true })
  name: string;

  /** Absolute, normalised path inside STORAGE_ROOTS, as the hosts see it. */
  @Column({ type: "text", unique: true })
  path: string;

  @Column({ type: "enum", enum: StorageKind, default: StorageKind.FILE })
  kind: StorageKind;

  /** Set by an admin (deactivate/activate). */
  @Column({ type: "boolean", default: true })
  active: boolean;

  /** Set by hosts: why no host can reach the path; null when reachable. */
  @Column({ type: "text", nullable: true })
  inaccessibleReason: string | null;

  @Column({ type: "text", nullable: true })
  nfsVersion: string | null;

  @Column({ type: "enum", enum: ScanState, default: ScanState.NEVER })
  scanState: ScanState;

  @Column({ type: "text", nullable: true })
  scanError: string | null;

  /** Which scan may write this domain's inventory, and until when (renewed while it runs). */
  @Column({ type: "text", nullable: true })
  scanLeaseOwner: string | null;

  @Column({ type: "timestamptz", nullable: true })
  scanLeaseUntil: Date | null;

  @Column({ type: "timestamptz", nullable: true })
  lastScannedAt: Date | null;

  /** Needs-sparsify policy; null = the global default (NEEDS_SPARSIFY_MIN_BYTES / _MIN_RATIO). */
  @Column({ type: "bigint", transformer: bigintAsNumber, nullable: true })
  minReclaimableBytes: number | null;

  /** Share of the disk's actual size, 0–1. */
  @Column({ type: "double precision", nullable: true })
  minReclaimableRatio: number | null;

  /** How this domain's disks are sparsified; DIRECT only when an admin opts in (text: adding a method needs no migration). */
  @Column({ type: "text", default: SparsifyMethod.VIRT_SPARSIFY })
  sparsifyMethod: SparsifyMethod;

  /** How DIRECT runs of this domain are verified before they may succeed. */
  @Column({ type: "text", default: DirectVerifyMode.STANDARD })
  directVerify: DirectVerifyMode;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
