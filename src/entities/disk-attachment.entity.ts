import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from "typeorm";

@Entity("disk_attachment")
@Unique(["vmId", "diskId"])
export class DiskAttachment {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "uuid" })
  vmId: string;

  @Index()
  @Column({ type: "uuid" })
  diskId: string;

  @Column({ type: "boolean" })
  plugged: boolean;

  /** The volume the libvirt disk source points at (LIBVIRT VMs only). */
  @Index()
  @Column({ type: "uuid", nullable: true })
  volumeId: string | null;

  /** libvirt target device ("vda", "sdb"); null for manual attachments. */
  @Column({ type: "text", nullable: true })
  targetDev: string | null;

  /** libvirt `<driver type>` ("qcow2", "raw"): how the hypervisor opens the image. */
  @Column({ type: "text", nullable: true })
  driverType: string | null;

  @Column({ type: "boolean", default: false })
  readOnly: boolean;

  @Column({ type: "boolean", default: false })
  shareable: boolean;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
