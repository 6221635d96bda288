import { ArgsType, Field, Int } from "type-graphql";

/** Relay connection arguments shared by every list: first/after forwards, last/before backwards. */
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: "Page forwards: this many items after `after` (default 50)." })
  first?: number;

  @Field(() => String, { nullable: true })
  after?: string;

  @Field(() => Int, { nullable: true, description: "Page backwards: this many items before `before`. Not with `first`." })
  last?: number;

  @Field(() => String, { nullable: true })
  before?: string;
}
