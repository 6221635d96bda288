import { Field, ObjectType } from "type-graphql";
import { SparsifyIssueCode } from "./enums.js";
import { WithoutHostPaths } from "../resolvers/host-internals.js";

@ObjectType("SparsifyIssue", { description: "A reason a disk cannot be sparsified, or a warning before doing it." })
export class SparsifyIssueType {
  @Field(() => SparsifyIssueCode)
  code: SparsifyIssueCode;

  @WithoutHostPaths()
  @Field({ description: "What it means and what to do, in words a person understands." })
  message: string;
}
