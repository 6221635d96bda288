import { Field, ID, ObjectType } from "type-graphql";
import { ScanState, StorageDomainStatus, StorageKind } from "./enums.js";

@ObjectType("StorageDomain")
export class StorageDomainType {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field({ description: "Absolute path as the hosts see it." })
  path: string;

  @Field(() => StorageKind)
  kind: StorageKind;

  @Field(() => StorageDomainStatus)
  status: StorageDomainStatus;

  @Field(() => String, { nullable: true, description: "Why the domain is INACCESSIBLE or INACTIVE." })
  statusReason: string | null;

  @Field(() => String, { nullable: true, description: "NFS version of the mount, when on NFS." })
  nfsVersion: string | null;

  @Field(() => ScanState)
  scanState: ScanState;

  @Field(() => String, { nullable: true })
  scanError: string | null;

  @Field(() => Date, { nullable: true })
  lastScannedAt: Date | null;

  @Field()
  createdAt: Date;
}
