import fs from "node:fs/promises";
import path from "node:path";
import { isInside } from "../../domain/storage-path.js";
import { DiskFormat } from "../../entities/enums.js";
import { fileFactsProblem, readFileFacts } from "../path-guard.js";
import { qemuImgCheck, qemuImgInfo } from "../qemu-img.js";
import { formatFromExtension, type ImageFile } from "./find-images.js";

/** What a host read about one image file, ready to be grouped and stored. */
export interface VolumeReading {
  relPath: string;
  format: DiskFormat;
  virtualSize: number;
  actualSize: number;
  /** Absolute backing file as recorded in the image; null without one. */
  backingPath: string | null;
  backingRelPath: string | null;
  problem: string | null;
  /** qemu-img could not open it (corrupt, wrong format): its disk is ILLEGAL. */
  unreadable: boolean;
  allocatedClusters?: number;
  totalClusters?: number;
  /** st_dev / st_ino of the file (lstat), checked again before any tool opens it. */
  fileDevice?: string | null;
  fileInode?: string | null;
}

const lower = (f: DiskFormat) => (f === DiskFormat.QCOW2 ? "qcow2" : "raw");

async function resolveBacking(
  image: ImageFile,
  backing: string,
  backingFormat: string | undefined,
  domainRoot: string,
  roots: readonly string[],
): Promise<Pick<VolumeReading, "backingPath" | "backingRelPath" | "problem">> {
  const absolute = path.resolve(path.dirname(image.absPath), backing);
  const real = await fs.realpath(absolute).catch(() => absolute);
  const refuse = (problem: string) => ({ backingPath: absolute, backingRelPath: null, problem });
  if (!roots.some((root) => isInside(real, root))) return refuse(`backing file ${backing} of ${image.relPath} is outside the storage roots`);
  if (!isInside(real, domainRoot)) return refuse(`backing file ${backing} of ${image.relPath} is outside the storage domain`);
  if (!backingFormat) return refuse(`${image.relPath} does not record the format of its backing file ${backing}; qemu would have to guess it`);
  const named = formatFromExtension(real);
  if (!named || lower(named) !== backingFormat) return refuse(`${image.relPath} records its backing file ${backing} as ${backingFormat}, which does not match the file's name`);
  return { backingPath: absolute, backingRelPath: path.relative(domainRoot, real), problem: null };
}

/** Reads one image with `-U` (a running VM's image must not fail the scan), never probing. */
export async function readVolume(image: ImageFile, domainRoot: string, roots: readonly string[]): Promise<VolumeReading> {
  const facts = await readFileFacts(image.absPath);
  const base = { relPath: image.relPath, format: image.format, virtualSize: 0, actualSize: 0, backingPath: null, backingRelPath: null, fileDevice: facts.device, fileInode: facts.inode };
  // A hard link's other name may be outside every root: no qemu tool opens it, even read-only.
  const fileProblem = fileFactsProblem(facts, image.relPath);
  if (fileProblem) return { ...base, problem: fileProblem, unreadable: false };
  let info;
  try {
    info = await qemuImgInfo(image.absPath, lower(image.format), { shared: true });
  } catch (error) {
    return { ...base, problem: `${image.relPath} cannot be read as ${lower(image.format)}: ${(error as Error).message}`, unreadable: true };
  }
  const reading: VolumeReading = { ...base, virtualSize: info.virtualSize, actualSize: info.actualSize, problem: null, unreadable: info.corrupt };
  if (info.corrupt) reading.problem = `${image.relPath} is marked corrupt by qemu`;
  if (info.backingFilename) {
    Object.assign(reading, await resolveBacking(image, info.fullBackingFilename ?? info.backingFilename, info.backingFormat, domainRoot, roots));
  }
  // Only a file at least as long as the disk can have every cluster allocated; skip the check otherwise.
  if (image.format === DiskFormat.QCOW2 && info.apparentSize >= info.virtualSize && !reading.unreadable) {
    const check = await qemuImgCheck(image.absPath).catch(() => null);
    if (check) Object.assign(reading, check);
  }
  return reading;
}

/** Reads every image with a small concurrency (qemu-img is ~3 ms a call; 4 at once saturates 2 cores). */
export async function readVolumes(images: ImageFile[], domainRoot: string, roots: readonly string[], concurrency = 4): Promise<VolumeReading[]> {
  const out: VolumeReading[] = new Array(images.length);
  let next = 0;
  const lane = async () => {
    while (next < images.length) {
      const i = next++;
      out[i] = await readVolume(images[i]!, domainRoot, roots);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, images.length) }, lane));
  return out;
}
