import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { VmSource, VmStatus } from "./enums.js";

/** One file disk of a libvirt domain as its XML describes it, mapped to inventory where possible. */
export interface LibvirtDiskRecord {
  target: string | null;
  bus: string | null;
  device: string;
  source: string | null;
  driverType: string | null;
  readOnly: boolean;
  shareable: boolean;
  backingStore: { source: string | null; format: string | null }[];
  volumeId: string | null;
  diskId: string | null;
}

@Entity("vm")
export class Vm {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  /** Unique among manual VMs; libvirt names are unique only per host. */
  @Column({ type: "text" })
  name: string;

  @Column({ type: "enum", enum: VmStatus, default: VmStatus.DOWN })
  status: VmStatus;

  @Column({ type: "enum", enum: VmSource, default: VmSource.MANUAL })
  source: VmSource;

  /** The host that reports it (LIBVIRT only). */
  @Index()
  @Column({ type: "uuid", nullable: true })
  hostId: string | null;

  /** Identity of a libvirt domain, stable across hosts (migration). */
  @Column({ type: "uuid", nullable: true })
  libvirtUuid: string | null;

  /** libvirt's own state word ("running", "shut off"…), as last read. */
  @Column({ type: "text", nullable: true })
  libvirtState: string | null;

  @Column({ type: "jsonb", default: () => "'[]'" })
  disks: LibvirtDiskRecord[];

  @Column({ type: "timestamptz", nullable: true })
  syncedAt: Date | null;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
