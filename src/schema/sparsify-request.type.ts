import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { DiskFilter } from "./disk-query.input.js";
import { SparsifyIssueType } from "./sparsify-issue.type.js";
import { SparsifyJobType } from "./sparsify-job.type.js";

/** Why one id of a sparsifyDisks request was not usable (the request as a whole went on). */
export enum SparsifyRequestErrorCode {
  NOT_FOUND = "NOT_FOUND",
  BAD_USER_INPUT = "BAD_USER_INPUT",
}
registerEnumType(SparsifyRequestErrorCode, {
  name: "SparsifyRequestErrorCode",
  description: "Why one disk of a sparsifyDisks request was not considered.",
});

@InputType({ description: "Exactly one of diskIds or filter." })
export class SparsifyDisksInput {
  @Field(() => [ID], { nullable: true, description: "These disks (at most BULK_SPARSIFY_MAX_DISKS, 1,000 by default)." })
  diskIds?: string[] | null;

  @Field(() => DiskFilter, {
    nullable: true,
    description: "Every disk that matches, by alias; TOO_MANY_DISKS when more than the cap match.",
  })
  filter?: DiskFilter | null;
}

@ObjectType("SparsifyRequestError")
export class SparsifyRequestErrorType {
  @Field(() => SparsifyRequestErrorCode)
  code: SparsifyRequestErrorCode;

  @Field()
  message: string;
}

@ObjectType("SparsifyRequestResult", {
  description: "One disk of a sparsifyDisks request: exactly one of job, sparsifyBlockers or error is set.",
})
export class SparsifyRequestResultType {
  @Field(() => ID)
  diskId: string;

  @Field(() => SparsifyJobType, {
    nullable: true,
    description: "The queued job (or a job that ended FAILED at once when the queue was unreachable).",
  })
  job?: unknown;

  @Field(() => [SparsifyIssueType], {
    nullable: true,
    description: "Every reason the disk cannot be sparsified now; the disk was left as it was.",
  })
  sparsifyBlockers?: unknown[];

  @Field(() => SparsifyRequestErrorType, { nullable: true, description: "The id was malformed or names no disk." })
  error?: SparsifyRequestErrorType;
}
