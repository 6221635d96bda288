import { describe, expect, it } from "vitest";
import { effectivePolicy, needsSparsify } from "../../src/domain/needs-sparsify.js";

const MiB = 1024 * 1024;
const policy = { minReclaimableBytes: 100 * MiB, minReclaimableRatio: 0.2 };

describe("needsSparsify", () => {
  it.each([
    { name: "no estimate", estimate: null, actual: 1000 * MiB, expected: false },
    { name: "nothing reclaimable", estimate: 0, actual: 1000 * MiB, expected: false },
    { name: "enough bytes and share", estimate: 300 * MiB, actual: 1000 * MiB, expected: true },
    { name: "exactly at both thresholds", estimate: 100 * MiB, actual: 500 * MiB, expected: true },
    { name: "one byte under the byte threshold", estimate: 100 * MiB - 1, actual: 200 * MiB, expected: false },
    { name: "enough bytes, too small a share of a big disk", estimate: 150 * MiB, actual: 1000 * MiB, expected: false },
    { name: "big share but too few bytes", estimate: 50 * MiB, actual: 60 * MiB, expected: false },
    { name: "actual size zero", estimate: 200 * MiB, actual: 0, expected: false },
  ])("$name → $expected", ({ estimate, actual, expected }) => {
    expect(needsSparsify({ reclaimableEstimate: estimate, actualSize: actual }, policy)).toBe(expected);
  });

  it.each([
    { domain: { minReclaimableBytes: null, minReclaimableRatio: null }, expected: policy },
    { domain: { minReclaimableBytes: 5, minReclaimableRatio: null }, expected: { ...policy, minReclaimableBytes: 5 } },
    { domain: { minReclaimableBytes: null, minReclaimableRatio: 0.5 }, expected: { ...policy, minReclaimableRatio: 0.5 } },
    { domain: { minReclaimableBytes: 0, minReclaimableRatio: 0 }, expected: { minReclaimableBytes: 0, minReclaimableRatio: 0 } },
  ])("effective policy of $domain", ({ domain, expected }) => {
    expect(effectivePolicy(domain, policy)).toEqual(expected);
  });
});
