import { Field, ID, InputType, registerEnumType } from "type-graphql";

export enum DiskOrderField {
  ALIAS = "ALIAS",
  ACTUAL_SIZE = "ACTUAL_SIZE",
  VIRTUAL_SIZE = "VIRTUAL_SIZE",
  /** Estimated reclaimable bytes; disks without an estimate count as 0. */
  RECLAIMABLE = "RECLAIMABLE",
}

export enum OrderDirection {
  ASC = "ASC",
  DESC = "DESC",
}

registerEnumType(DiskOrderField, { name: "DiskOrderField" });
registerEnumType(OrderDirection, { name: "OrderDirection" });

@InputType()
export class DiskFilter {
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
export class DiskOrder {
  @Field(() => DiskOrderField)
  field: DiskOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC })
  direction: OrderDirection;
}
