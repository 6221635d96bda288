import { Field, ID, ObjectType } from "type-graphql";
import { DirectVerifyMode, ScanState, SparsifyMethod, StorageDomainStatus, StorageKind } from "./enums.js";
import { AdminOnly } from "../resolvers/host-internals.js";

@ObjectType("StorageDomain")
export class StorageDomainType {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @AdminOnly()
  @Field(() => String, { nullable: true, description: "Absolute path as the hosts see it. Admins only (null for others)." })
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

  @AdminOnly()
  @Field(() => String, {
    nullable: true,
    description: "Why the last scan failed, as the host reported it. Admins only (null for others).",
  })
  scanError: string | null;

  @Field(() => Date, { nullable: true })
  lastScannedAt: Date | null;

  @Field(() => SparsifyMethod, {
    description: "How its disks are sparsified (setSparsifyMethod). VIRT_SPARSIFY unless an admin opted in to DIRECT.",
  })
  sparsifyMethod: SparsifyMethod;

  @Field(() => DirectVerifyMode, { description: "How its DIRECT runs are verified before they succeed." })
  directVerify: DirectVerifyMode;

  @Field()
  createdAt: Date;
}
