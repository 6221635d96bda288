import { imageToolTimeoutMs } from "../run-image-tool.js";
import { withDeadline } from "../with-deadline.js";
import fs from "node:fs/promises";
import path from "node:path";
import { isInside } from "../../domain/storage-path.js";
import type { ImageFormat } from "../image-format.js";
import { expectedFormat } from "../inspect/expected-format.js";
import { ImageRefusal } from "../inspect/image-refusal.js";
import { inspectImage } from "../inspect/inspect-image.js";
import { InspectionCode } from "../inspect/inspection-code.js";
import { fileFactsProblem, readFileFacts } from "../path-guard.js";
import { qemuImgCheck, qemuImgInfo } from "../qemu-img.js";
import { formatFromExtension, type ImageFile } from "./image-file.js";

/** What a host read about one image file, ready to be grouped and stored. */
export interface VolumeReading {
  relPath: string;
  /** The format every qemu tool is told; the inventory stores it as its DiskFormat. */
  format: ImageFormat;
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
  /** The image inspector refused the file: no qemu tool was run on it. */
  refusal: { code: InspectionCode; message: string } | null;
  /** st_dev / st_ino of the file (lstat), checked again before any tool opens it. */
  fileDevice?: string | null;
  fileInode?: string | null;
}

async function resolveBacking(
  image: ImageFile,
  backing: string,
  backingFormat: string | undefined,
  domainRoot: string,
  roots: readonly string[],
): Promise<Pick<VolumeReading, "backingPath" | "backingRelPath" | "problem" | "refusal">> {
  const absolute = path.resolve(path.dirname(image.absPath), backing);
  const real = await fs.realpath(absolute).catch(() => absolute);
  const refuse = (problem: string) => ({ backingPath: absolute, backingRelPath: null, problem, refusal: null });
  // Outside the domain is a refusal, not just a chain problem: no qemu tool may open this image.
  const outside = (where: string) => ({
    backingPath: absolute,
    backingRelPath: null,
    problem: null,
    refusal: {
      code: InspectionCode.BACKING_OUTSIDE_CHAIN,
      message: `its backing file ${JSON.stringify(backing)} is outside the ${where}`,
    },
  });
  if (!roots.some((root) => isInside(real, root))) return outside("storage roots");
  if (!isInside(real, domainRoot)) return outside("storage domain");
  if (!backingFormat)
    return refuse(`${image.relPath} does not record the format of its backing file ${backing}; qemu would have to guess it`);
  const named = formatFromExtension(real);
  if (!named || named !== backingFormat)
    return refuse(
      `${image.relPath} records its backing file ${backing} as ${backingFormat}, which does not match the file's name`,
    );
  return { backingPath: absolute, backingRelPath: path.relative(domainRoot, real), problem: null, refusal: null };
}

/**
 * Reads one image: first its file facts (lstat: a hard link or a non-regular file is never opened),
 * then the inspector (plain code, header bytes only), and only if it accepts the file and its
 * backing file lies inside the domain, `qemu-img info -U` (a running VM's image must not fail the
 * scan), never probing a format.
 * @param libvirtDriverType the disk's `<driver type>` when a libvirt domain describes it (decides `.img`).
 */
export async function readVolume(
  image: ImageFile,
  domainRoot: string,
  roots: readonly string[],
  libvirtDriverType?: string | null,
): Promise<VolumeReading> {
  const expected = expectedFormat(image.relPath, libvirtDriverType);
  // libvirt's driver type may make an .img qcow2; that format is recorded and used from now on.
  const format: ImageFormat = expected ?? image.format;
  // In-process lstat and open: bounded, so a file on a hung mount fails the scan instead of parking it.
  const deadlineMs = imageToolTimeoutMs();
  const facts = await withDeadline(readFileFacts(image.absPath), deadlineMs, image.relPath);
  const base = {
    relPath: image.relPath,
    format,
    virtualSize: 0,
    actualSize: 0,
    backingPath: null,
    backingRelPath: null,
    refusal: null,
    fileDevice: facts.device,
    fileInode: facts.inode,
  };
  // A hard link's other name may be outside every root: no qemu tool opens it, even read-only.
  const fileProblem = fileFactsProblem(facts, image.relPath);
  if (fileProblem) return { ...base, problem: fileProblem, unreadable: false };
  const refused = (code: InspectionCode, message: string): VolumeReading => ({
    ...base,
    problem: null,
    unreadable: false,
    refusal: { code, message },
  });
  if (!expected)
    return refused(
      InspectionCode.FORMAT_MISMATCH,
      `libvirt describes it as ${libvirtDriverType}, a format this gateway does not handle`,
    );
  let inspection;
  try {
    inspection = await withDeadline(inspectImage(image.absPath, expected), deadlineMs, image.relPath);
  } catch (error) {
    if (error instanceof ImageRefusal) return refused(error.code, error.message);
    throw error;
  }
  if (inspection.backing) {
    const backing = await resolveBacking(
      image,
      inspection.backing.name,
      inspection.backing.format ?? undefined,
      domainRoot,
      roots,
    );
    if (backing.refusal) return { ...base, ...backing, unreadable: false };
  }
  let info;
  try {
    info = await qemuImgInfo(image.absPath, expected, { shared: true });
  } catch (error) {
    return { ...base, problem: `${image.relPath} cannot be read as ${expected}: ${(error as Error).message}`, unreadable: true };
  }
  const reading: VolumeReading = {
    ...base,
    virtualSize: info.virtualSize,
    actualSize: info.actualSize,
    problem: null,
    unreadable: info.corrupt,
    refusal: null,
  };
  if (info.corrupt) reading.problem = `${image.relPath} is marked corrupt by qemu`;
  if (info.backingFilename) {
    Object.assign(
      reading,
      await resolveBacking(image, info.fullBackingFilename ?? info.backingFilename, info.backingFormat, domainRoot, roots),
    );
  }
  // Only a file at least as long as the disk can have every cluster allocated; skip the check otherwise.
  if (format === "qcow2" && info.apparentSize >= info.virtualSize && !reading.unreadable) {
    const check = await qemuImgCheck(image.absPath).catch(() => null);
    if (check) Object.assign(reading, check);
  }
  return reading;
}

/**
 * Reads every image with a small concurrency (qemu-img is ~3 ms a call; 4 at once saturates 2
 * cores) and hands each reading to `sink` as it comes, in no particular order. A lane takes its
 * next image from `images` (the walk, which finds it only then) after the sink took its reading:
 * a slow sink holds the walk back instead of piling up names or readings in memory. On a failure
 * the other lanes finish the image in hand (each is bounded) and take no more, and the walk is
 * closed (its `find` ended) before the error is thrown.
 * @param driverTypeOf the libvirt seam: a disk's `<driver type>` by the image's path relative to
 *   the domain, when a libvirt domain describes it (null or absent: the file name decides).
 */
export async function readVolumesInto(
  images: AsyncIterable<ImageFile> | Iterable<ImageFile>,
  domainRoot: string,
  roots: readonly string[],
  sink: (reading: VolumeReading) => Promise<void> | void,
  concurrency = 4,
  driverTypeOf: (relPath: string) => string | null = () => null,
): Promise<void> {
  const source: AsyncIterator<ImageFile> | Iterator<ImageFile> =
    Symbol.asyncIterator in images ? images[Symbol.asyncIterator]() : images[Symbol.iterator]();
  let failed = false;
  const lane = async () => {
    while (!failed) {
      const next = await source.next();
      if (next.done) return;
      const image = next.value;
      // Each image is bounded as a whole (lstat, header, realpath of its backing, qemu-img): one file
      // on a hung mount fails the scan in bounded time instead of parking it.
      await sink(
        await withDeadline(
          readVolume(image, domainRoot, roots, driverTypeOf(image.relPath)),
          2 * imageToolTimeoutMs() + 1_000,
          image.relPath,
        ),
      );
    }
  };
  const stopOnFailure = (error: unknown) => {
    failed = true;
    throw error;
  };
  const lanes = await Promise.allSettled(Array.from({ length: concurrency }, () => lane().catch(stopOnFailure)));
  await source.return?.();
  const failure = lanes.find((l): l is PromiseRejectedResult => l.status === "rejected");
  if (failure) throw failure.reason;
}
