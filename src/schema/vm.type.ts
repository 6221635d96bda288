import { Field, ID, InputType, ObjectType } from "type-graphql";
import { AdminOnly } from "../resolvers/host-internals.js";
import { VmSource, VmStatus } from "./enums.js";

@ObjectType("LibvirtBackingStore", { description: "One `<backingStore>` layer as libvirt describes it." })
export class LibvirtBackingStoreType {
  @AdminOnly()
  @Field(() => String, { nullable: true, description: "The layer's path as libvirt has it. Admins only (null for others)." })
  source: string | null;

  @Field(() => String, { nullable: true })
  format: string | null;
}

@ObjectType("LibvirtDisk", {
  description: "A `<disk>` of a libvirt domain, mapped to an inventory volume by real path when possible.",
})
export class LibvirtDiskType {
  @Field(() => String, { nullable: true, description: "Target device: vda, sdb…" })
  target: string | null;

  @Field(() => String, { nullable: true })
  bus: string | null;

  @Field({ description: "disk, cdrom, floppy, lun." })
  device: string;

  @AdminOnly()
  @Field(() => String, {
    nullable: true,
    description: "Source path (file disks) or name, as libvirt has it. Admins only (null for others).",
  })
  source: string | null;

  @Field(() => String, { nullable: true, description: "`<driver type>`: how the hypervisor opens the image (qcow2, raw…)." })
  driverType: string | null;

  @Field()
  readOnly: boolean;

  @Field()
  shareable: boolean;

  @Field(() => [LibvirtBackingStoreType])
  backingStore: LibvirtBackingStoreType[];

  @Field(() => String, { nullable: true, description: "The inventory volume at that path; null when none is known." })
  volumeId: string | null;

  @Field(() => String, { nullable: true })
  diskId: string | null;
}

@ObjectType("Vm")
export class VmType {
  @Field(() => ID)
  id: string;

  @Field({ description: "Unique per host for libvirt VMs (show the host next to it); unique among manual VMs." })
  name: string;

  @Field(() => VmStatus, {
    description:
      "Live for libvirt VMs: running→UP, paused→PAUSED, shut off→DOWN, pmsuspended→SUSPENDED, crashed→NOT_RESPONDING, else UNKNOWN.",
  })
  status: VmStatus;

  @Field(() => VmSource)
  source: VmSource;

  @Field(() => String, { nullable: true, description: "libvirt's domain UUID: the identity of a LIBVIRT VM." })
  libvirtUuid: string | null;

  @Field(() => String, { nullable: true, description: 'libvirt\'s own state word as last read ("running", "shut off").' })
  libvirtState: string | null;

  @Field(() => Date, { nullable: true, description: "Last time libvirt's facts were written." })
  syncedAt: Date | null;

  @Field(() => [LibvirtDiskType], { description: "The domain's disks as its XML describes them (LIBVIRT only)." })
  disks: LibvirtDiskType[];
}

@InputType()
export class AddVmInput {
  @Field({ description: "Unique name among manual VMs, 1–100 characters." })
  name: string;
}
