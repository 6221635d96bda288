import { Field, Int, ObjectType } from "type-graphql";
import { DiskType } from "./disk.type.js";
import { PageInfo } from "./page-info.type.js";

@ObjectType()
export class DiskEdge {
  @Field()
  cursor: string;

  @Field(() => DiskType)
  node: DiskType;
}

@ObjectType()
export class DiskConnection {
  @Field(() => [DiskEdge])
  edges: DiskEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  @Field(() => Int)
  totalCount: number;
}
