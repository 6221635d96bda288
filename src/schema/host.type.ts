import { Field, ID, Int, ObjectType } from "type-graphql";
import { AdminOnly, WithoutHostPaths } from "../resolvers/host-internals.js";
import { LibvirtState } from "./enums.js";

@ObjectType("HostLibvirt", { description: "The host worker's link to its libvirt." })
export class HostLibvirtType {
  @WithoutHostPaths()
  @Field(() => String, {
    nullable: true,
    description: "The URI followed; null when DISABLED. A socket path in it is hidden from non-admins.",
  })
  uri: string | null;

  @Field(() => LibvirtState, {
    description: "DISABLED: LIBVIRT_URI=none or no libvirt socket; UNREACHABLE: configured but lost (its disks are blocked).",
  })
  state: LibvirtState;

  @Field(() => Date, { nullable: true, description: "When the last libvirt event arrived." })
  lastEventAt: Date | null;

  @WithoutHostPaths()
  @Field(() => String, {
    nullable: true,
    description: "Why it is disabled or unreachable, in words (host paths hidden from non-admins).",
  })
  message: string | null;
}

@ObjectType("Host", { description: "A host worker that runs scans and virt-sparsify." })
export class HostType {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field()
  heartbeatAt: Date;

  @Field({ description: "Heartbeat seen recently." })
  online: boolean;

  @Field(() => [String], { description: "Ids of the storage domains this host can see." })
  storageDomainIds: string[];

  @Field(() => Int)
  concurrency: number;

  @AdminOnly()
  @Field(() => String, { nullable: true, description: "Admins only (null for others)." })
  virtSparsifyVersion: string | null;

  @AdminOnly()
  @Field(() => String, { nullable: true, description: "Admins only (null for others)." })
  qemuVersion: string | null;

  @Field({ description: "KVM, or TCG (software emulation, slower)." })
  accel: string;

  @Field()
  applianceReady: boolean;

  @Field()
  maintenance: boolean;

  @Field(() => HostLibvirtType)
  libvirt: HostLibvirtType;
}
