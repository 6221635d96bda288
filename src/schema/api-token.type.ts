import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { Role } from "../domain/roles.js";

registerEnumType(Role, {
  name: "Role",
  description: "viewer: read and watch; operator: also sparsify and cancel; admin: everything.",
});

@ObjectType("ApiToken", { description: "A token as listed: never its secret." })
export class ApiTokenType {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field(() => Role)
  role: Role;

  @Field(() => Date, { nullable: true })
  expiresAt: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt: Date | null;

  @Field()
  createdBy: string;

  @Field()
  createdAt: Date;
}

@ObjectType()
export class CreatedApiToken {
  @Field(() => ApiTokenType)
  token: ApiTokenType;

  @Field({ description: "The secret, shown only now. Send it as Authorization: Bearer <secret>." })
  secret: string;
}

@InputType()
export class CreateApiTokenInput {
  @Field()
  name: string;

  @Field(() => Role)
  role: Role;

  @Field(() => Date, { nullable: true })
  expiresAt?: Date | null;
}

@ObjectType("Me", { description: "Who the caller is, for a UI to show the role and hide what it may not do." })
export class MeType {
  @Field()
  name: string;

  @Field(() => Role)
  role: Role;

  @Field(() => Date, { nullable: true })
  expiresAt: Date | null;
}
