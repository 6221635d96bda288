import { Field, ID, InputType, registerEnumType } from "type-graphql";
import { DiskOrderField, OrderDirection, type DiskQueryFilter, type DiskQueryOrder } from "../domain/disk-query.js";

export { DiskOrderField, OrderDirection };

registerEnumType(DiskOrderField, { name: "DiskOrderField" });
registerEnumType(OrderDirection, { name: "OrderDirection" });

@InputType()
export class DiskFilter implements DiskQueryFilter {
  @Field(() => ID, { nullable: true })
  storageDomainId?: string;

  @Field({ nullable: true })
  sparsifiable?: boolean;

  @Field({ nullable: true, description: "Disks whose estimate passes the reclaim policy." })
  needsSparsify?: boolean;

  @Field({ nullable: true, description: "Case-insensitive substring of the alias." })
  text?: string;
}

@InputType()
export class DiskOrder implements DiskQueryOrder {
  @Field(() => DiskOrderField)
  field: DiskOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC })
  direction: OrderDirection;
}
