import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { BytesScalar, SignedBytesScalar } from "./scalars/bytes.scalar.js";
import { ReclaimGrouping, TimeBucket } from "../domain/reclaim-grouping.js";

export { ReclaimGrouping, TimeBucket };

@ObjectType("ReclaimPolicy", { description: "When a disk needs sparsifying: both thresholds must hold." })
export class ReclaimPolicyType {
  @Field(() => BytesScalar)
  minReclaimableBytes: number;

  @Field(() => Float, { description: "Share of the disk's actual size, 0–1." })
  minReclaimableRatio: number;

  @Field({ description: "True when the domain sets nothing of its own and the global default applies." })
  inherited: boolean;
}

@InputType()
export class ReclaimPolicyInput {
  @Field(() => BytesScalar, { nullable: true, description: "Null: the global default." })
  minReclaimableBytes?: number | null;

  @Field(() => Float, { nullable: true, description: "0–1; null: the global default." })
  minReclaimableRatio?: number | null;
}

@ObjectType("SparsifySchedule")
export class SparsifyScheduleType {
  @Field(() => ID)
  id: string;

  @Field({ description: "cron expression: 5 fields, or 6 with seconds first." })
  cron: string;

  @Field()
  timezone: string;

  @Field(() => String, { nullable: true })
  windowStart: string | null;

  @Field(() => String, { nullable: true })
  windowEnd: string | null;

  @Field(() => Int)
  maxConcurrent: number;

  @Field()
  enabled: boolean;

  @Field(() => Date, { nullable: true })
  lastRunAt: Date | null;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: "started job ids, skipped disks with their blockers, deferred disks.",
  })
  lastRunSummary: Record<string, unknown> | null;
}

@InputType()
export class SparsifyScheduleInput {
  @Field()
  cron: string;

  @Field({ nullable: true, defaultValue: "UTC" })
  timezone?: string;

  @Field(() => String, { nullable: true, description: "HH:MM, with windowEnd; may wrap past midnight." })
  windowStart?: string | null;

  @Field(() => String, { nullable: true })
  windowEnd?: string | null;

  @Field(() => Int, { nullable: true, defaultValue: 1 })
  maxConcurrent?: number;

  @Field({ nullable: true, defaultValue: true })
  enabled?: boolean;
}

registerEnumType(ReclaimGrouping, { name: "ReclaimGrouping" });
registerEnumType(TimeBucket, { name: "TimeBucket" });

@ObjectType("ReclaimTotal", { description: "Bytes reclaimed by finished jobs, per group and time bucket." })
export class ReclaimTotalType {
  @Field(() => ID, { nullable: true, description: "Disk or storage domain id; null for TOTAL." })
  key: string | null;

  @Field(() => String, { nullable: true, description: "Disk alias or domain name." })
  label: string | null;

  @Field(() => Date, { nullable: true, description: "Start of the bucket (UTC); null for ALL." })
  bucketStart: Date | null;

  @Field(() => SignedBytesScalar)
  reclaimedBytes: number;

  @Field(() => Int)
  jobs: number;
}
