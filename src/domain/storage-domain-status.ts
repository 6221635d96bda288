import { StorageDomainStatus } from "../entities/enums.js";

export interface DomainStatusFacts {
  active: boolean;
  inaccessibleReason: string | null;
}

/** An admin's INACTIVE wins over a host's INACCESSIBLE: it is the state a person chose. */
export function domainStatus(d: DomainStatusFacts): { status: StorageDomainStatus; reason: string | null } {
  if (!d.active) return { status: StorageDomainStatus.INACTIVE, reason: "deactivated by an administrator" };
  if (d.inaccessibleReason) return { status: StorageDomainStatus.INACCESSIBLE, reason: d.inaccessibleReason };
  return { status: StorageDomainStatus.ACTIVE, reason: null };
}
