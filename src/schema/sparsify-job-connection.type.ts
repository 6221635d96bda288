import { Field, Int, ObjectType } from "type-graphql";
import { PageInfo } from "./page-info.type.js";
import { SparsifyJobEdge } from "./sparsify-job.type.js";

@ObjectType()
export class SparsifyJobConnection {
  @Field(() => [SparsifyJobEdge])
  edges: SparsifyJobEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  @Field(() => Int)
  totalCount: number;
}
