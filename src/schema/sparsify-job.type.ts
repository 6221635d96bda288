import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { JobErrorCode, JobState, JobTrigger, SparsifyOutcome, SparsifyPhase } from "./enums.js";
import { BytesScalar, SignedBytesScalar } from "./scalars/bytes.scalar.js";

@ObjectType("JobError")
export class JobErrorType {
  @Field(() => JobErrorCode)
  code: JobErrorCode;

  @Field({ description: "In words; for non-admins absolute paths read [host path] (see SparsifyJobTextResolver)." })
  message: string;
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

  @Field(() => Int, { description: "Runs of this job so far: above 1 when a worker died with it and another took it over (see the JOB_RETRIED audit event)." })
  attempts: number;

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
