/**
 * How disks can be listed: the order fields and the filter a service applies. The GraphQL input
 * types (schema/disk-query.input.ts) implement these, so services need nothing from the API layer.
 */
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

export interface DiskQueryFilter {
  storageDomainId?: string;
  sparsifiable?: boolean;
  /** Disks whose estimate passes the reclaim policy. */
  needsSparsify?: boolean;
  /** Case-insensitive substring of the alias. */
  text?: string;
}

export interface DiskQueryOrder {
  field: DiskOrderField;
  direction: OrderDirection;
}
