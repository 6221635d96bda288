import { Field, ID, ObjectType } from "type-graphql";
import {
  AllocationSource,
  DiskAllocation,
  DiskFormat,
  DiskStatus,
  EstimateMethod,
  EstimateUnavailableReason,
  StorageType,
} from "./enums.js";
import { BytesScalar } from "./scalars/bytes.scalar.js";
import { SparsifyIssueType } from "./sparsify-issue.type.js";
import { WithoutHostPaths } from "../resolvers/host-internals.js";

/** Relations (storageDomain, volumes, template, …) are field resolvers in disk.resolver.ts. */
@ObjectType("Disk")
export class DiskType {
  @Field(() => ID)
  id: string;

  @Field({ description: "Name of the disk's lowest own volume file, without extension." })
  alias: string;

  @Field(() => DiskFormat, { description: "Format of the leaf (active) volume." })
  format: DiskFormat;

  @Field(() => DiskAllocation)
  allocation: DiskAllocation;

  @Field(() => AllocationSource)
  allocationSource: AllocationSource;

  @Field(() => StorageType)
  storageType: StorageType;

  @Field(() => BytesScalar)
  virtualSize: number;

  @Field(() => BytesScalar, { description: "Allocated bytes of the disk's own volumes (leaf and snapshots, not its template)." })
  actualSize: number;

  @Field(() => DiskStatus)
  status: DiskStatus;

  @Field()
  sparsifiable: boolean;

  // sparsifyBlockers and sparsifyWarnings (the names as filed) are field resolvers in disk.resolver.ts.

  @Field(() => [SparsifyIssueType], { deprecationReason: "Use sparsifyBlockers" })
  blockers: SparsifyIssueType[];

  @Field(() => [SparsifyIssueType], { deprecationReason: "Use sparsifyWarnings" })
  warnings: SparsifyIssueType[];

  @Field(() => BytesScalar, {
    nullable: true,
    description:
      "Bytes sparsifying would give back, estimated read-only from the guest filesystem's free blocks and the host allocation.",
  })
  reclaimableEstimate: number | null;

  @Field(() => BytesScalar, {
    nullable: true,
    description: "How much MORE merging the snapshots first would free (disks with snapshots).",
  })
  reclaimableAfterMerge: number | null;

  @Field(() => EstimateMethod, { nullable: true })
  estimateMethod: EstimateMethod | null;

  @WithoutHostPaths()
  @Field(() => String, {
    nullable: true,
    description: 'The method in words, e.g. "ext4+swap: free blocks ∩ qemu-img map (skipped: LVM2_member)".',
  })
  estimateDetail: string | null;

  @Field(() => Date, { nullable: true })
  estimatedAt: Date | null;

  @Field(() => EstimateUnavailableReason, {
    nullable: true,
    description: "Why there is no estimate; null when there is one or none was tried yet.",
  })
  estimateUnavailableReason: EstimateUnavailableReason | null;

  @Field({ description: "The estimate passes the storage domain's reclaim policy (bytes and share of actual size)." })
  needsSparsify: boolean;

  @Field()
  createdAt: Date;

  @Field()
  updatedAt: Date;
}
