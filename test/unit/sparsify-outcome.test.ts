import { describe, expect, it } from "vitest";
import { explainOutcome, NOISE_BYTES, SparsifyOutcome, type OutcomeFacts } from "../../src/domain/sparsify-outcome.js";

const MiB = 1024 * 1024;
const base: OutcomeFacts = {
  trimmedDevices: ["/dev/sda1"],
  swapCleared: [],
  actualSizeBefore: 2000 * MiB,
  actualSizeAfter: 2000 * MiB,
  ownVolumeCount: 1,
};

describe("explainOutcome", () => {
  it.each<{ name: string; facts: Partial<OutcomeFacts>; outcome: SparsifyOutcome; mentions: (string | RegExp)[] }>([
    {
      name: "no trimmed devices and no swap → NO_FILESYSTEM_FOUND",
      facts: { trimmedDevices: [], swapCleared: [] },
      outcome: SparsifyOutcome.NO_FILESYSTEM_FOUND,
      mentions: [/no filesystem/, /nothing was changed/],
    },
    {
      name: "no devices even though the size fell → still NO_FILESYSTEM_FOUND",
      facts: { trimmedDevices: [], swapCleared: [], actualSizeAfter: 1000 * MiB },
      outcome: SparsifyOutcome.NO_FILESYSTEM_FOUND,
      mentions: [/no filesystem/],
    },
    {
      name: "swap only counts as found (and reclaimed)",
      facts: { trimmedDevices: [], swapCleared: ["/dev/sda2"], actualSizeAfter: 1488 * MiB },
      outcome: SparsifyOutcome.RECLAIMED,
      mentions: ["Reclaimed 512.0 MiB", "cleared swap /dev/sda2"],
    },
    {
      name: "swap only, nothing came back → NOTHING_TO_RECLAIM, not NO_FILESYSTEM_FOUND",
      facts: { trimmedDevices: [], swapCleared: ["/dev/sda2"] },
      outcome: SparsifyOutcome.NOTHING_TO_RECLAIM,
      mentions: ["cleared swap /dev/sda2"],
    },
    {
      name: "reclaimed 1.5 GiB → RECLAIMED with MiB and the devices",
      facts: { trimmedDevices: ["/dev/sda1", "/dev/vg/root"], swapCleared: ["/dev/vg/swap"], actualSizeAfter: 464 * MiB },
      outcome: SparsifyOutcome.RECLAIMED,
      mentions: ["Reclaimed 1536.0 MiB", "trimmed /dev/sda1, trimmed /dev/vg/root, cleared swap /dev/vg/swap"],
    },
    {
      name: "reclaimed exactly 1 MiB → RECLAIMED",
      facts: { actualSizeAfter: 2000 * MiB - NOISE_BYTES },
      outcome: SparsifyOutcome.RECLAIMED,
      mentions: ["Reclaimed 1.0 MiB"],
    },
    {
      name: "reclaimed 1 MiB minus one byte → NOTHING_TO_RECLAIM (noise)",
      facts: { actualSizeAfter: 2000 * MiB - NOISE_BYTES + 1 },
      outcome: SparsifyOutcome.NOTHING_TO_RECLAIM,
      mentions: [/no space came back/, "trimmed /dev/sda1"],
    },
    {
      name: "tiny change (64 KiB) → NOTHING_TO_RECLAIM",
      facts: { actualSizeAfter: 2000 * MiB - 65536 },
      outcome: SparsifyOutcome.NOTHING_TO_RECLAIM,
      mentions: [/no space came back/],
    },
    {
      name: "no change → NOTHING_TO_RECLAIM",
      facts: {},
      outcome: SparsifyOutcome.NOTHING_TO_RECLAIM,
      mentions: [/already unallocated/],
    },
    {
      name: "grew with snapshots → GREW, telling to merge snapshots",
      facts: { ownVolumeCount: 3, actualSizeAfter: 2300 * MiB },
      outcome: SparsifyOutcome.GREW,
      mentions: ["grew by 300.0 MiB", /snapshots/, /Merge the snapshots/, "trimmed /dev/sda1"],
    },
    {
      name: "grew without snapshots → GREW, no snapshot advice",
      facts: { ownVolumeCount: 1, actualSizeAfter: 2010 * MiB },
      outcome: SparsifyOutcome.GREW,
      mentions: ["The image grew by 10.0 MiB", "trimmed /dev/sda1"],
    },
  ])("$name", ({ facts, outcome, mentions }) => {
    const result = explainOutcome({ ...base, ...facts });
    expect(result.outcome).toBe(outcome);
    expect(result.message).toMatch(/^[A-Z]|^virt-sparsify /);
    for (const m of mentions) expect(result.message).toMatch(m);
  });

  it("GREW without snapshots does not talk about merging", () => {
    const { message } = explainOutcome({ ...base, ownVolumeCount: 1, actualSizeAfter: 2100 * MiB });
    expect(message).not.toMatch(/snapshot|merge/i);
  });

  it("the noise threshold is 1 MiB", () => {
    expect(NOISE_BYTES).toBe(1048576);
  });

  it("outcome codes are stable strings", () => {
    for (const [key, value] of Object.entries(SparsifyOutcome)) expect(value).toBe(key);
  });
});
