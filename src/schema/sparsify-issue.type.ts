import { Field, ObjectType } from "type-graphql";
import { SparsifyIssueCode } from "./enums.js";

@ObjectType("SparsifyIssue", { description: "A reason a disk cannot be sparsified, or a warning before doing it." })
export class SparsifyIssueType {
  @Field(() => SparsifyIssueCode)
  code: SparsifyIssueCode;

  @Field({ description: "What it means and what to do, in words a person understands." })
  message: string;
}
