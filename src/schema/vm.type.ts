import { Field, ID, InputType, ObjectType } from "type-graphql";
import { VmStatus } from "./enums.js";

@ObjectType("Vm")
export class VmType {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field(() => VmStatus)
  status: VmStatus;
}

@InputType()
export class AddVmInput {
  @Field({ description: "Unique name, 1–100 characters." })
  name: string;
}
