import { Field, ID, ObjectType } from "type-graphql";
import { AllocationSource, DiskAllocation, DiskFormat, DiskStatus, StorageType } from "./enums.js";
import { BytesScalar } from "./scalars/bytes.scalar.js";
import { SparsifyIssueType } from "./sparsify-issue.type.js";

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

  @Field(() => [SparsifyIssueType], { description: "Every reason the disk cannot be sparsified now; empty when sparsifiable." })
  blockers: SparsifyIssueType[];

  @Field(() => [SparsifyIssueType])
  warnings: SparsifyIssueType[];

  @Field(() => BytesScalar, { nullable: true, description: "Bytes sparsifying would give back, estimated read-only from the guest filesystem's free blocks and the host allocation." })
  reclaimableEstimate: number | null;

  @Field(() => BytesScalar, { nullable: true, description: "How much MORE merging the snapshots first would free (disks with snapshots)." })
  reclaimableAfterMerge: number | null;

  @Field(() => String, { nullable: true })
  estimateMethod: string | null;

  @Field(() => Date, { nullable: true })
  estimatedAt: Date | null;

  @Field(() => String, { nullable: true, description: "Why there is no estimate: NO_FILESYSTEM, UNSUPPORTED_FILESYSTEM, LVM, ENCRYPTED, IMAGE_IN_USE, UNREADABLE, TIMED_OUT, or a path-guard code (IMAGE_PATH_CHANGED, IMAGE_NOT_REGULAR_FILE, IMAGE_HARDLINKED, IMAGE_NOT_FOUND, STORAGE_UNAVAILABLE)." })
  estimateUnavailableReason: string | null;

  @Field({ description: "The estimate passes the storage domain's reclaim policy (bytes and share of actual size)." })
  needsSparsify: boolean;

  @Field()
  createdAt: Date;

  @Field()
  updatedAt: Date;
}
