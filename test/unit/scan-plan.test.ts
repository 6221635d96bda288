import { describe, expect, it } from "vitest";
import { AllocationSource, DiskAllocation, DiskFormat, DiskStatus } from "../../src/entities/enums.js";
import { InspectionCode } from "../../src/host/inspect/inspection-code.js";
import type { VolumeReading } from "../../src/host/scan/read-volumes.js";
import { planScan, volumeProblem, type PlannedDisk } from "../../src/services/scan-plan.js";

const GiB = 2 ** 30;
const read = (relPath: string, extra: Partial<VolumeReading> = {}): VolumeReading => ({
  relPath,
  format: relPath.endsWith(".qcow2") ? "qcow2" : "raw",
  virtualSize: 10 * GiB,
  actualSize: GiB,
  backingPath: extra.backingRelPath ? `/s/${extra.backingRelPath}` : null,
  backingRelPath: null,
  problem: null,
  unreadable: false,
  refusal: null,
  ...extra,
});
const refusal = { code: InspectionCode.EXTERNAL_DATA_FILE, message: "data file elsewhere" };

/** What the writer stores per disk, worked out from readings alone (ids come later, in SQL). */
describe("planScan", () => {
  it.each<{ name: string; readings: VolumeReading[]; disk: string; expected: Partial<PlannedDisk> }>([
    {
      name: "one raw image: a sparse OK disk of one volume",
      readings: [read("a.raw")],
      disk: "a.raw",
      expected: {
        leafRelPath: "a.raw",
        alias: "a",
        format: DiskFormat.RAW,
        ownVolumeCount: 1,
        status: DiskStatus.OK,
        allocation: DiskAllocation.SPARSE,
        inspection: null,
      },
    },
    {
      name: "a snapshot: leaf's format and virtual size, actual size summed over own volumes",
      readings: [
        read("db.qcow2", { actualSize: 3 * GiB }),
        read("db.s1.qcow2", { backingRelPath: "db.qcow2", virtualSize: 20 * GiB }),
      ],
      disk: "db.qcow2",
      expected: {
        leafRelPath: "db.s1.qcow2",
        format: DiskFormat.QCOW2,
        virtualSize: 20 * GiB,
        actualSize: 4 * GiB,
        ownVolumeCount: 2,
      },
    },
    {
      name: "a layer qemu-img could not open makes the disk ILLEGAL",
      readings: [read("db.qcow2", { unreadable: true, problem: "corrupt" }), read("db.s1.qcow2", { backingRelPath: "db.qcow2" })],
      disk: "db.qcow2",
      expected: { status: DiskStatus.ILLEGAL, chainProblem: "corrupt" },
    },
    {
      name: "a qcow2 with every cluster allocated and little written is PREALLOCATED (DETECTED)",
      readings: [read("p.qcow2", { allocatedClusters: 160, totalClusters: 160 })],
      disk: "p.qcow2",
      expected: { allocation: DiskAllocation.PREALLOCATED, allocationSource: AllocationSource.DETECTED },
    },
    {
      name: "a clone: its template named, and the template's refusal is the clone's",
      readings: [
        read("t.qcow2", { refusal }),
        read("c1.qcow2", { backingRelPath: "t.qcow2" }),
        read("c2.qcow2", { backingRelPath: "t.qcow2" }),
      ],
      disk: "c1.qcow2",
      expected: {
        templateBaseRelPath: "t.qcow2",
        inspection: {
          code: refusal.code as never,
          message: "The image inspector refused t.qcow2 (EXTERNAL_DATA_FILE): data file elsewhere",
        },
      },
    },
    {
      name: "the leaf's own refusal wins over its template's",
      readings: [
        read("t.qcow2", { refusal }),
        read("c1.qcow2", { backingRelPath: "t.qcow2", refusal: { code: InspectionCode.UNKNOWN_FEATURES, message: "bit 9" } }),
        read("c2.qcow2", { backingRelPath: "t.qcow2" }),
      ],
      disk: "c1.qcow2",
      expected: {
        inspection: {
          code: InspectionCode.UNKNOWN_FEATURES as never,
          message: "The image inspector refused c1.qcow2 (UNKNOWN_FEATURES): bit 9",
        },
      },
    },
  ])("$name", ({ readings, disk, expected }) => {
    const plan = planScan(readings);
    expect(plan.disks.find((d) => d.baseRelPath === disk)).toMatchObject(expected);
  });

  it("places every volume of a disk at its depth, leaf first; a volume's problem falls back to its refusal", () => {
    const plan = planScan([
      read("db.qcow2"),
      read("db.s1.qcow2", { backingRelPath: "db.qcow2" }),
      read("db.s2.qcow2", { backingRelPath: "db.s1.qcow2" }),
    ]);
    expect(Object.fromEntries(plan.placeOf)).toEqual({
      "db.s2.qcow2": { diskBaseRelPath: "db.qcow2", depth: 0 },
      "db.s1.qcow2": { diskBaseRelPath: "db.qcow2", depth: 1 },
      "db.qcow2": { diskBaseRelPath: "db.qcow2", depth: 2 },
    });
    expect(volumeProblem(read("x.qcow2", { refusal }))).toBe("EXTERNAL_DATA_FILE: data file elsewhere");
    expect(volumeProblem(read("x.qcow2", { refusal, problem: "own" }))).toBe("own");
  });
});
