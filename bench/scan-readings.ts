import { InspectionCode } from "../src/host/inspect/inspection-code.js";
import type { VolumeReading } from "../src/host/scan/read-volumes.js";

/**
 * What a host would read from a domain of `volumes` images, without the images: nine in ten are
 * disks of their own, one in ten is a snapshot layer on such a disk, one image in a hundred is
 * refused by the inspector. Each rescan `round` grows one disk in `every` (all with 1), a day's
 * growth on a busy domain, so a rescan really changes that share of disks and volumes.
 */
export function syntheticReadings(volumes: number, round = 0, every = 10): VolumeReading[] {
  return [...syntheticReadingStream(volumes, round, every)];
}

/** The same readings one by one, never all in memory: what a host's walk hands its spool. */
export function* syntheticReadingStream(volumes: number, round = 0, every = 10): Generator<VolumeReading> {
  let count = 0;
  // How many of the rounds 1…round grew disk i: those where round ≡ i (mod every).
  const grown = (i: number) => {
    const m = i % every;
    if (m === 0) return Math.floor(round / every);
    return round >= m ? Math.floor((round - m) / every) + 1 : 0;
  };
  for (let i = 0; count < volumes; i++) {
    const name = `vm-${String(Math.floor(i / 100)).padStart(4, "0")}/disk-${String(i).padStart(6, "0")}`;
    const base: VolumeReading = {
      relPath: `${name}.qcow2`,
      format: "qcow2",
      virtualSize: 10 * 2 ** 30,
      actualSize: (i % 1000) * 2 ** 20 + grown(i) * 4096,
      backingPath: null,
      backingRelPath: null,
      problem: null,
      unreadable: false,
      refusal: i % 100 === 7 ? { code: InspectionCode.UNKNOWN_FEATURES, message: "incompatible feature bit 9" } : null,
      fileDevice: "2049",
      fileInode: String(1_000_000 + i),
    };
    yield base;
    count++;
    if (i % 9 === 4 && count < volumes) {
      count++;
      yield {
        ...base,
        relPath: `${name}.snap1.qcow2`,
        actualSize: 2 ** 20 + grown(i) * 4096,
        backingPath: `/storage/${base.relPath}`,
        backingRelPath: base.relPath,
        refusal: null,
        fileInode: String(5_000_000 + i),
      };
    }
  }
}
