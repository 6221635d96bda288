import { Field, ID, Int, ObjectType } from "type-graphql";
import { AdminOnly } from "../resolvers/host-internals.js";

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
}
