import type { Api } from "../api/client";
import { ApiError } from "../api/errors";
import { ESTIMATE_FIELDS, disksQuery } from "../api/operations";
import type { Connection, Disk, DiskFilter, DiskOrder } from "../api/types";

export interface DiskVariables {
  first: number;
  after: string | null;
  filter: DiskFilter;
  orderBy: DiskOrder;
}

/** Whether this gateway knows the reclaim estimates; learnt from the first refusal. */
let estimates = true;

const refusesEstimates = (error: unknown) =>
  error instanceof ApiError &&
  error.code === "GRAPHQL_VALIDATION_FAILED" &&
  [...ESTIMATE_FIELDS, "RECLAIMABLE"].some((name) => error.message.includes(name));

/**
 * One page of disks, with the reclaim estimates when the gateway has them. An older gateway
 * refuses the unknown fields; the page is then asked for again without them (and sorted by
 * actual size if it was sorted by the estimate).
 */
export async function fetchDisks(api: Api, vars: DiskVariables, signal?: AbortSignal): Promise<Connection<Disk>> {
  try {
    return (await api.request<{ disks: Connection<Disk> }>(disksQuery(estimates), { ...vars }, signal)).disks;
  } catch (error) {
    if (!estimates || !refusesEstimates(error)) throw error;
    estimates = false;
    const orderBy: DiskOrder = vars.orderBy.field === "RECLAIMABLE" ? { field: "ACTUAL_SIZE", direction: "DESC" } : vars.orderBy;
    return (await api.request<{ disks: Connection<Disk> }>(disksQuery(false), { ...vars, orderBy }, signal)).disks;
  }
}
