import { Field, InputType } from "type-graphql";

@InputType()
export class AddStorageDomainInput {
  @Field({ description: "Unique name, 1–100 characters." })
  name: string;

  @Field({ description: "Absolute, normalised directory inside one of STORAGE_ROOTS." })
  path: string;
}
