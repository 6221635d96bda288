import { describe, expect, it } from "vitest";
import { AllocationSource, DiskAllocation, DiskFormat } from "../../src/entities/enums.js";
import { classifyAllocation, FULLY_WRITTEN_RATIO, type AllocationFacts } from "../../src/domain/preallocation.js";

const GiB = 1024 ** 3;
const { PREALLOCATED, SPARSE } = DiskAllocation;
const { DETECTED, INFERRED } = AllocationSource;

describe("classifyAllocation", () => {
  it.each<{ name: string; facts: AllocationFacts; allocation: DiskAllocation; source: AllocationSource }>([
    // qcow2
    {
      name: "qcow2 preallocation=metadata: every cluster allocated, little written → PREALLOCATED/DETECTED",
      facts: {
        format: DiskFormat.QCOW2,
        virtualSize: 10 * GiB,
        actualSize: 2 * 1024 * 1024,
        allocatedClusters: 163840,
        totalClusters: 163840,
      },
      allocation: PREALLOCATED,
      source: DETECTED,
    },
    {
      name: "qcow2 every cluster allocated and fully written → PREALLOCATED/INFERRED",
      facts: {
        format: DiskFormat.QCOW2,
        virtualSize: 10 * GiB,
        actualSize: 10 * GiB + 2 * 1024 * 1024,
        allocatedClusters: 163840,
        totalClusters: 163840,
      },
      allocation: PREALLOCATED,
      source: INFERRED,
    },
    {
      name: "qcow2 every cluster allocated and exactly 99% written → PREALLOCATED/INFERRED",
      facts: {
        format: DiskFormat.QCOW2,
        virtualSize: 100 * GiB,
        actualSize: 99 * GiB,
        allocatedClusters: 1638400,
        totalClusters: 1638400,
      },
      allocation: PREALLOCATED,
      source: INFERRED,
    },
    {
      name: "qcow2 every cluster allocated and one byte under 99% → PREALLOCATED/DETECTED",
      facts: {
        format: DiskFormat.QCOW2,
        virtualSize: 100 * GiB,
        actualSize: 99 * GiB - 1,
        allocatedClusters: 1638400,
        totalClusters: 1638400,
      },
      allocation: PREALLOCATED,
      source: DETECTED,
    },
    {
      name: "qcow2 thin: few clusters allocated → SPARSE/DETECTED",
      facts: {
        format: DiskFormat.QCOW2,
        virtualSize: 10 * GiB,
        actualSize: 1 * GiB,
        allocatedClusters: 16384,
        totalClusters: 163840,
      },
      allocation: SPARSE,
      source: DETECTED,
    },
    {
      name: "qcow2 thin but nearly full on disk (one cluster short) → SPARSE/DETECTED",
      facts: {
        format: DiskFormat.QCOW2,
        virtualSize: 10 * GiB,
        actualSize: 10 * GiB,
        allocatedClusters: 163839,
        totalClusters: 163840,
      },
      allocation: SPARSE,
      source: DETECTED,
    },
    {
      name: "qcow2 with cluster counts unknown → SPARSE (nothing seen that says preallocated)",
      facts: { format: DiskFormat.QCOW2, virtualSize: 10 * GiB, actualSize: 200 * 1024 * 1024 },
      allocation: SPARSE,
      source: DETECTED,
    },
    {
      name: "qcow2 with only allocatedClusters known → SPARSE",
      facts: { format: DiskFormat.QCOW2, virtualSize: 10 * GiB, actualSize: 200 * 1024 * 1024, allocatedClusters: 10 },
      allocation: SPARSE,
      source: DETECTED,
    },
    {
      name: "qcow2 with zero total clusters (empty image) → SPARSE, not 'every cluster'",
      facts: { format: DiskFormat.QCOW2, virtualSize: 0, actualSize: 196608, allocatedClusters: 0, totalClusters: 0 },
      allocation: SPARSE,
      source: DETECTED,
    },
    {
      name: "qcow2 virtualSize 0 with every cluster allocated → DETECTED (0 is never 'nearly full')",
      facts: { format: DiskFormat.QCOW2, virtualSize: 0, actualSize: 196608, allocatedClusters: 1, totalClusters: 1 },
      allocation: PREALLOCATED,
      source: DETECTED,
    },
    // raw
    {
      name: "raw fully written → PREALLOCATED/INFERRED",
      facts: { format: DiskFormat.RAW, virtualSize: 10 * GiB, actualSize: 10 * GiB },
      allocation: PREALLOCATED,
      source: INFERRED,
    },
    {
      name: "raw exactly 99% → PREALLOCATED/INFERRED",
      facts: { format: DiskFormat.RAW, virtualSize: 100 * GiB, actualSize: 99 * GiB },
      allocation: PREALLOCATED,
      source: INFERRED,
    },
    {
      name: "raw exactly 99% of a small size (100 bytes → 99)",
      facts: { format: DiskFormat.RAW, virtualSize: 100, actualSize: 99 },
      allocation: PREALLOCATED,
      source: INFERRED,
    },
    {
      name: "raw one byte under 99% → SPARSE/DETECTED",
      facts: { format: DiskFormat.RAW, virtualSize: 100 * GiB, actualSize: 99 * GiB - 1 },
      allocation: SPARSE,
      source: DETECTED,
    },
    {
      name: "raw 98 of 100 bytes → SPARSE",
      facts: { format: DiskFormat.RAW, virtualSize: 100, actualSize: 98 },
      allocation: SPARSE,
      source: DETECTED,
    },
    {
      name: "raw sparse (10% written) → SPARSE/DETECTED",
      facts: { format: DiskFormat.RAW, virtualSize: 10 * GiB, actualSize: 1 * GiB },
      allocation: SPARSE,
      source: DETECTED,
    },
    {
      name: "raw empty file (virtualSize 0) → SPARSE/DETECTED",
      facts: { format: DiskFormat.RAW, virtualSize: 0, actualSize: 0 },
      allocation: SPARSE,
      source: DETECTED,
    },
    {
      name: "raw ignores cluster counts even if given",
      facts: { format: DiskFormat.RAW, virtualSize: 10 * GiB, actualSize: 1 * GiB, allocatedClusters: 5, totalClusters: 5 },
      allocation: SPARSE,
      source: DETECTED,
    },
  ])("$name", ({ facts, allocation, source }) => {
    expect(classifyAllocation(facts)).toEqual({ allocation, source });
  });

  it("the threshold is 99%", () => {
    expect(FULLY_WRITTEN_RATIO).toBe(0.99);
  });

  // Float rounding must not push an exact 99% under the threshold for any realistic size.
  it.each([100, 300, 1_000_000, 100 * GiB, 1000 * GiB, 100 * 4096 * 12345])(
    "raw exactly 99%% of %i bytes is PREALLOCATED",
    (virtualSize) => {
      const actualSize = (virtualSize / 100) * 99;
      expect(Number.isInteger(actualSize)).toBe(true);
      expect(classifyAllocation({ format: DiskFormat.RAW, virtualSize, actualSize }).allocation).toBe(PREALLOCATED);
      expect(classifyAllocation({ format: DiskFormat.RAW, virtualSize, actualSize: actualSize - 1 }).allocation).toBe(SPARSE);
    },
  );
});
