import { Field, ID, Int, ObjectType } from "type-graphql";

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

  @Field(() => String, { nullable: true })
  virtSparsifyVersion: string | null;

  @Field(() => String, { nullable: true })
  qemuVersion: string | null;

  @Field({ description: "KVM, or TCG (software emulation, slower)." })
  accel: string;

  @Field()
  applianceReady: boolean;

  @Field()
  maintenance: boolean;
}
