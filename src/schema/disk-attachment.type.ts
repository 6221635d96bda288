import { Field, ID, ObjectType } from "type-graphql";

/** vm and disk are field resolvers in disk-attachment.resolver.ts. */
@ObjectType("DiskAttachment")
export class DiskAttachmentType {
  @Field(() => ID)
  id: string;

  @Field({ description: "An unplugged disk of a running VM can still be sparsified." })
  plugged: boolean;

  @Field(() => String, { nullable: true, description: "libvirt target device (vda, sdb); null for manual attachments." })
  targetDev: string | null;

  @Field(() => String, {
    nullable: true,
    description: "libvirt `<driver type>` (qcow2, raw): how the hypervisor opens the image.",
  })
  driverType: string | null;

  @Field()
  readOnly: boolean;

  @Field()
  shareable: boolean;
}
