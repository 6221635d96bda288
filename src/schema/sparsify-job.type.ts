import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { JobState } from "./enums.js";
import { BytesScalar, SignedBytesScalar } from "./scalars/bytes.scalar.js";

@ObjectType("JobError")
export class JobErrorType {
  @Field({ description: "IMAGE_IN_USE, PERMISSION_DENIED, WRONG_FORMAT, APPLIANCE_FAILED, TIMED_OUT, PREALLOCATED, CHAIN_CHANGED, IMAGE_PATH_CHANGED, IMAGE_NOT_REGULAR_FILE, IMAGE_HARDLINKED, IMAGE_NOT_FOUND, STORAGE_UNAVAILABLE, …" })
  code: string;

  @Field()
  message: string;
}

/** disk, reclaimedBytes and error are field resolvers in sparsify-job.resolver.ts. */
@ObjectType("SparsifyJob")
export class SparsifyJobType {
  @Field(() => ID, { description: "A UUID; also the BullMQ job id." })
  id: string;

  @Field(() => JobState)
  state: JobState;

  @Field({ description: "QUEUED, CHECKING, LAUNCHING, TRIMMING, MEASURING, DONE." })
  phase: string;

  @Field(() => Int, { description: "0–100; never goes backwards." })
  progress: number;

  @Field(() => String, { nullable: true, description: "Host that runs (or ran) it." })
  host: string | null;

  @Field(() => BytesScalar, { nullable: true })
  actualSizeBefore: number | null;

  @Field(() => BytesScalar, { nullable: true })
  actualSizeAfter: number | null;

  @Field(() => String, { nullable: true, description: "RECLAIMED, NOTHING_TO_RECLAIM, NO_FILESYSTEM_FOUND, GREW." })
  outcome: string | null;

  @Field(() => String, { nullable: true, description: "The outcome in words." })
  outcomeMessage: string | null;

  @Field(() => Int)
  attempts: number;

  @Field()
  requestedBy: string;

  @Field({ description: "USER or SCHEDULE." })
  trigger: string;

  @Field(() => Date, { nullable: true })
  cancelRequestedAt: Date | null;

  @Field()
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  startedAt: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt: Date | null;
}

@ObjectType()
export class SparsifyJobEdge {
  @Field()
  cursor: string;

  @Field(() => SparsifyJobType)
  node: SparsifyJobType;
}

@InputType()
export class SparsifyJobFilter {
  @Field(() => ID, { nullable: true })
  diskId?: string;

  @Field(() => [JobState], { nullable: true })
  states?: JobState[];
}

@InputType()
export class SparsifyJobEventFilter {
  @Field(() => ID, { nullable: true })
  diskId?: string;

  @Field(() => ID, { nullable: true })
  storageDomainId?: string;
}

export { SignedBytesScalar };
