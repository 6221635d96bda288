import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/** Audit trail: who asked for what, and what the system did on its own (reconciler, scans). */
@Entity("event")
@Index(["createdAt"])
export class AuditEvent {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  /** e.g. STORAGE_DOMAIN_ADDED, SCAN_FINISHED, JOB_QUEUED, JOB_SUCCEEDED, LOCK_RELEASED. */
  @Column({ type: "text" })
  type: string;

  @Index()
  @Column({ type: "uuid", nullable: true })
  diskId: string | null;

  @Index()
  @Column({ type: "uuid", nullable: true })
  jobId: string | null;

  @Column({ type: "uuid", nullable: true })
  storageDomainId: string | null;

  @Column({ type: "text", default: "system" })
  actor: string;

  @Column({ type: "text" })
  message: string;

  @Column({ type: "jsonb", default: () => "'{}'" })
  data: Record<string, unknown>;

  /** Millisecond precision so a JS Date in a page cursor matches the stored value exactly. */
  @CreateDateColumn({ type: "timestamptz", precision: 3 })
  createdAt: Date;
}
