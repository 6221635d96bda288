import type { VolumeReading } from "../../src/host/scan/read-volumes.js";

/** A synthetic scan reading of one qcow2 volume (1 GiB virtual, 1 MiB on disk); `extra` overrides. */
export const reading = (relPath: string, extra: Partial<VolumeReading> = {}): VolumeReading => ({
  relPath,
  format: "qcow2",
  virtualSize: 2 ** 30,
  actualSize: 2 ** 20,
  backingPath: null,
  backingRelPath: null,
  problem: null,
  unreadable: false,
  refusal: null,
  fileDevice: "2049",
  fileInode: "1",
  ...extra,
});
