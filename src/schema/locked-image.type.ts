import { Field, ID, ObjectType } from "type-graphql";

@ObjectType("LockedImage", {
  description: "An image path whose disk the gateway holds LOCKED (a sparsify job is queued or running).",
})
export class LockedImageType {
  @Field()
  path: string;

  @Field(() => ID)
  diskId: string;

  @Field()
  alias: string;

  @Field(() => ID, { nullable: true })
  jobId: string | null;
}
