import { Field, ObjectType } from "type-graphql";

/** Relay PageInfo: page forwards with first/after and endCursor, backwards with last/before and startCursor. */
@ObjectType()
export class PageInfo {
  @Field({ description: "More items follow endCursor (forwards: another page; backwards: items past `before`)." })
  hasNextPage: boolean;

  @Field({ description: "Items precede startCursor (backwards: another page; forwards: items before `after`)." })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true })
  startCursor: string | null;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}
