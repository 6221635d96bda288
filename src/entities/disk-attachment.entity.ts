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

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
