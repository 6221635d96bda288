import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { PageInfo } from "./page-info.type.js";
import { AdminOnly, WithoutHostPaths } from "../resolvers/host-internals.js";

@ObjectType("AuditEvent")
export class AuditEventType {
  @Field(() => ID)
  id: string;

  @Field()
  type: string;

  @Field(() => ID, { nullable: true })
  diskId: string | null;

  @Field(() => ID, { nullable: true })
  jobId: string | null;

  @Field(() => ID, { nullable: true })
  storageDomainId: string | null;

  @Field({ description: "Who asked (token name), or system / reconciler / host:NAME." })
  actor: string;

  @WithoutHostPaths()
  @Field()
  message: string;

  @AdminOnly()
  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: "Details as recorded (host output included). Admins only (null for others).",
  })
  data: Record<string, unknown>;

  @Field()
  createdAt: Date;
}

@ObjectType()
export class AuditEventEdge {
  @Field()
  cursor: string;

  @Field(() => AuditEventType)
  node: AuditEventType;
}

@ObjectType()
export class AuditEventConnection {
  @Field(() => [AuditEventEdge])
  edges: AuditEventEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  @Field(() => Int)
  totalCount: number;
}

@InputType()
export class AuditEventFilter {
  @Field(() => ID, { nullable: true })
  diskId?: string;

  @Field(() => ID, { nullable: true })
  jobId?: string;

  @Field(() => [String], { nullable: true })
  types?: string[];
}
