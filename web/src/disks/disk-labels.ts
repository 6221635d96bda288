import type { Disk } from "../api/types";
import { humanise } from "../format";

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "OK" stays upper case; the other states read as words. */
export const diskStatusLabel = (status: string) => (status === "OK" ? "OK" : humanise(status));

/** A disk's format as oVirt shows it: "QCOW2 · thin", "RAW · preallocated". */
export const formatLabel = (disk: Pick<Disk, "format" | "allocation">) =>
  `${disk.format} · ${disk.allocation === "PREALLOCATED" ? "preallocated" : "thin"}`;

export const vmStatusTone = (status: string) => (status === "DOWN" ? "neutral" : status === "UP" ? "up" : "warn");
