import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import {
  DirectFallbackReason,
  JobErrorCode,
  JobState,
  JobTrigger,
  SparsifyMethod,
  SparsifyOutcome,
  SparsifyPhase,
} from "./enums.js";
import { BytesScalar, SignedBytesScalar } from "./scalars/bytes.scalar.js";

@ObjectType("JobError")
export class JobErrorType {
  @Field(() => JobErrorCode)
  code: JobErrorCode;

  @Field({ description: "In words; for non-admins absolute paths read [host path] (see SparsifyJobTextResolver)." })
  message: string;
}

@ObjectType("SkippedPartition", { description: "A partition (or a gap of the partition table) a DIRECT run left untouched." })
export class SkippedPartitionType {
  @Field(() => Int, { nullable: true, description: "Partition number as Linux numbers it; null for the whole disk or a gap." })
  number: number | null;

  @Field(() => BytesScalar)
  start: number;

  @Field(() => BytesScalar)
  length: number;

  @Field({ description: 'What was found there, e.g. "vfat", "BIOS boot", "unknown", "gap".' })
  found: string;
}

/** disk, reclaimedBytes and error are field resolvers in sparsify-job.resolver.ts. */
@ObjectType("SparsifyJob")
export class SparsifyJobType {
  @Field(() => ID, { description: "A UUID; also the BullMQ job id." })
  id: string;

  @Field(() => JobState)
  state: JobState;

  @Field(() => SparsifyPhase)
  phase: SparsifyPhase;

  @Field(() => Int, { description: "0–100; never goes backwards." })
  progress: number;

  @Field(() => String, { nullable: true, description: "Host that runs (or ran) it." })
  host: string | null;

  @Field(() => BytesScalar, { nullable: true })
  actualSizeBefore: number | null;

  @Field(() => BytesScalar, { nullable: true })
  actualSizeAfter: number | null;

  @Field(() => SparsifyOutcome, { nullable: true, description: "Set when the job SUCCEEDED." })
  outcome: SparsifyOutcome | null;

  @Field(() => String, { nullable: true, description: "The outcome in words; for non-admins absolute paths read [host path]." })
  outcomeMessage: string | null;

  @Field(() => Int, {
    description:
      "Runs of this job so far: above 1 when a worker died with it and another took it over (see the JOB_RETRIED audit event).",
  })
  attempts: number;

  @Field(() => SparsifyMethod, { nullable: true, description: "The method that ran; null until the worker chose one." })
  methodUsed: SparsifyMethod | null;

  @Field(() => DirectFallbackReason, {
    nullable: true,
    description: "Why a job of a DIRECT domain ran virt-sparsify instead; null otherwise.",
  })
  fallbackReason: DirectFallbackReason | null;

  @Field(() => [SkippedPartitionType], {
    nullable: true,
    description: "Partitions a DIRECT run left untouched; null for virt-sparsify runs.",
  })
  skippedPartitions: SkippedPartitionType[] | null;

  @Field()
  requestedBy: string;

  @Field(() => JobTrigger)
  trigger: JobTrigger;

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

  @Field(() => ID, { nullable: true, description: "Jobs of the disks attached to this VM (plugged or not): the VM's history." })
  vmId?: string;

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
