/** How reclaimed bytes are totalled: per what, and per which time bucket (schema/reclaim.types.ts exposes both). */
export enum ReclaimGrouping {
  TOTAL = "TOTAL",
  STORAGE_DOMAIN = "STORAGE_DOMAIN",
  DISK = "DISK",
}

export enum TimeBucket {
  ALL = "ALL",
  DAY = "DAY",
  WEEK = "WEEK",
  MONTH = "MONTH",
}
