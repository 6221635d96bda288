import type { Api } from "../api/client";
import { DISKS } from "../api/operations";
import type { DiskConnection, DiskFilter, DiskOrder } from "../api/types";

export interface DiskVariables {
  first: number;
  after: string | null;
  filter: DiskFilter;
  orderBy: DiskOrder;
}

/** One page of disks. The UI is built against this gateway's schema.graphql, so it asks for all it shows. */
export async function fetchDisks(api: Api, vars: DiskVariables, signal?: AbortSignal): Promise<DiskConnection> {
  return (await api.request(DISKS, vars, signal)).disks;
}
