import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";
import { LibvirtState } from "./enums.js";

/** A host worker process, registered by itself and kept alive by its heartbeat. */
@Entity("host")
export class Host {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "text", unique: true })
  name: string;

  @Column({ type: "timestamptz" })
  heartbeatAt: Date;

  @Column({ type: "uuid", array: true, default: () => "'{}'" })
  storageDomainIds: string[];

  @Column({ type: "int" })
  concurrency: number;

  @Column({ type: "text", nullable: true })
  virtSparsifyVersion: string | null;

  @Column({ type: "text", nullable: true })
  qemuVersion: string | null;

  /** "KVM" or "TCG": TCG runs are software-emulated, about 13 s each here. */
  @Column({ type: "text", default: "TCG" })
  accel: string;

  @Column({ type: "boolean", default: false })
  applianceReady: boolean;

  @Column({ type: "boolean", default: false })
  maintenance: boolean;

  /** The libvirt URI this worker follows; null when disabled. */
  @Column({ type: "text", nullable: true })
  libvirtUri: string | null;

  @Column({ type: "text", default: LibvirtState.DISABLED })
  libvirtState: LibvirtState;

  @Column({ type: "timestamptz", nullable: true })
  libvirtLastEventAt: Date | null;

  /** Why libvirt is disabled or unreachable, in words. */
  @Column({ type: "text", nullable: true })
  libvirtMessage: string | null;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
