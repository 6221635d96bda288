import { Field, ID, ObjectType } from "type-graphql";

/** vm and disk are field resolvers in disk-attachment.resolver.ts. */
@ObjectType("DiskAttachment")
export class DiskAttachmentType {
  @Field(() => ID)
  id: string;

  @Field({ description: "An unplugged disk of a running VM can still be sparsified." })
  plugged: boolean;
}
