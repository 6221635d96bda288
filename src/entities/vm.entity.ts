import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";
import { VmStatus } from "./enums.js";

@Entity("vm")
export class Vm {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "text", unique: true })
  name: string;

  @Column({ type: "enum", enum: VmStatus, default: VmStatus.DOWN })
  status: VmStatus;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
