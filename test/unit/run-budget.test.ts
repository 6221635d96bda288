import { describe, expect, it } from "vitest";
import { SparsifyMethod } from "../../src/domain/direct-method.js";
import { budgetFor } from "../../src/jobs/worker/run-budget.js";

describe("budgetFor: the host budget a sparsify run starts under", () => {
  const { DIRECT, VIRT_SPARSIFY } = SparsifyMethod;
  it.each([
    // requested (job data), domain now, host has a DIRECT budget → budget, domain read?
    [DIRECT, VIRT_SPARSIFY, true, "direct", false],
    [VIRT_SPARSIFY, DIRECT, true, "appliance", false],
    [undefined, DIRECT, true, "direct", true],
    [undefined, VIRT_SPARSIFY, true, "appliance", true],
    [undefined, undefined, true, "appliance", true],
    [DIRECT, DIRECT, false, "appliance", false],
    [undefined, DIRECT, false, "appliance", false],
  ] as const)(
    "requested %s, domain %s, DIRECT budget %s → %s (domain read: %s)",
    async (requested, domain, has, budget, read) => {
      let reads = 0;
      const readDomain = async () => (reads++, domain);
      expect(await budgetFor(requested, readDomain, has)).toBe(budget);
      expect(reads > 0).toBe(read);
    },
  );
});
