import { describe, expect, it } from "vitest";
import { StorageDomainStatus } from "../../src/entities/enums.js";
import { domainStatus, type DomainStatusFacts } from "../../src/domain/storage-domain-status.js";

describe("domainStatus", () => {
  it.each<{ name: string; facts: DomainStatusFacts; status: StorageDomainStatus; reason: string | null }>([
    {
      name: "active and reachable → ACTIVE, no reason",
      facts: { active: true, inaccessibleReason: null },
      status: StorageDomainStatus.ACTIVE,
      reason: null,
    },
    {
      name: "active but a host says inaccessible → INACCESSIBLE with the host's reason",
      facts: { active: true, inaccessibleReason: "no host has /srv/storage/nfs1 mounted" },
      status: StorageDomainStatus.INACCESSIBLE,
      reason: "no host has /srv/storage/nfs1 mounted",
    },
    {
      name: "an empty inaccessible reason counts as reachable",
      facts: { active: true, inaccessibleReason: "" },
      status: StorageDomainStatus.ACTIVE,
      reason: null,
    },
    {
      name: "deactivated → INACTIVE",
      facts: { active: false, inaccessibleReason: null },
      status: StorageDomainStatus.INACTIVE,
      reason: "deactivated by an administrator",
    },
    {
      name: "deactivated and inaccessible → the admin's INACTIVE wins",
      facts: { active: false, inaccessibleReason: "stale NFS handle" },
      status: StorageDomainStatus.INACTIVE,
      reason: "deactivated by an administrator",
    },
  ])("$name", ({ facts, status, reason }) => {
    expect(domainStatus(facts)).toEqual({ status, reason });
  });
});
