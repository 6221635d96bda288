import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from "typeorm";
import { bigintAsNumber } from "./bigint-transformer.js";
import { DiskFormat } from "./enums.js";

/** One image file. Its place in a chain is `backingVolumeId`; its disk is `diskId`. */
@Entity("volume")
@Unique(["storageDomainId", "relPath"])
export class Volume {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "uuid" })
  storageDomainId: string;

  @Index()
  @Column({ type: "uuid", nullable: true })
  diskId: string | null;

  /** Path relative to the domain's root. */
  @Column({ type: "text" })
  relPath: string;

  @Column({ type: "enum", enum: DiskFormat })
  format: DiskFormat;

  @Column({ type: "bigint", transformer: bigintAsNumber, default: 0 })
  virtualSize: number;

  @Column({ type: "bigint", transformer: bigintAsNumber, default: 0 })
  actualSize: number;

  @Column({ type: "uuid", nullable: true })
  backingVolumeId: string | null;

  /** The backing file exactly as the image records it (absolute), to detect chain changes. */
  @Column({ type: "text", nullable: true })
  backingPath: string | null;

  /** Why this volume or its backing reference is refused; null when sound. */
  @Column({ type: "text", nullable: true })
  problem: string | null;

  /** The image inspector's refusal code for this file (EXTERNAL_DATA_FILE…); null when clean. */
  @Column({ type: "text", nullable: true })
  refusalCode: string | null;

  /**
   * When a scan (which inspects every file) last stored a change of this file; null for volumes
   * scanned before the inspector existed. The domain's lastScannedAt says when it was last read.
   */
  @Column({ type: "timestamptz", nullable: true })
  inspectedAt: Date | null;

  /** Position in its disk: 0 = leaf (the active layer). */
  @Column({ type: "int", default: 0 })
  depth: number;

  @Column({ type: "boolean", default: false })
  missing: boolean;

  /** st_dev and st_ino at the last scan (strings: they can exceed 2^53); null before they were recorded. */
  @Column({ type: "text", nullable: true })
  fileDevice: string | null;

  @Column({ type: "text", nullable: true })
  fileInode: string | null;

  /** When a scan or a run last stored a change of this file (a scan writes only what changed). */
  @Column({ type: "timestamptz", nullable: true })
  scannedAt: Date | null;
}
