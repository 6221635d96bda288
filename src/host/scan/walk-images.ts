import fs from "node:fs/promises";
import path from "node:path";
import { isInside } from "../../domain/storage-path.js";
import { StorageHungError, withDeadline } from "../with-deadline.js";
import { findEntries } from "./find-entries.js";
import { formatFromExtension, type ImageFile } from "./image-file.js";

export interface WalkOptions {
  /** Each step on storage (the next batch of names, a link's realpath or stat) must answer in this time. */
  stepTimeoutMs: number;
  /**
   * More images than this fail the walk.
   * @default 100_000
   */
  maxFiles?: number;
}

/** The domain holds more images than a scan takes. */
export class WalkLimitError extends Error {
  override readonly name = "WalkLimitError";
}

const hasHiddenPart = (relPath: string) => relPath.split(path.sep).some((part) => part.startsWith("."));

/**
 * The hidden places the walk entered or listed through a link: the plain walk never reaches them,
 * so only these need remembering to list each real file once (one entry per such link, not per file).
 */
class LinkedPlaces {
  private readonly places = new Set<string>();
  add(real: string): void {
    this.places.add(real);
  }
  /** True when `real`, or a directory above it below `top`, was already entered or listed through a link. */
  covers(real: string, top: string): boolean {
    for (let p = real; p.length > top.length; p = path.dirname(p)) if (this.places.has(p)) return true;
    return false;
  }
}

/** A storage error on a link is that link's (dangling, a loop, no access): it is skipped. A hang is the walk's. */
const orNull = (error: unknown) => {
  if (error instanceof StorageHungError) throw error;
  return null;
};

/**
 * Walks a domain recursively and yields its images as the readers ask for them, holding no list
 * of names. Hidden entries are skipped; symlinks are followed only while they stay inside the
 * domain, and each real file is listed once, under its real path. Every name the plain walk
 * reaches (no hidden part) it lists itself, so a link is followed only into a hidden place, which
 * is then walked once, after the plain walk. The order is the storage's, not sorted: the readings
 * are grouped in SQL, which does not depend on it.
 * @throws {StorageHungError} a step on storage did not answer within `stepTimeoutMs`.
 * @throws {WalkLimitError} more than `maxFiles` images.
 * @throws {WalkFailedError} a directory could not be read.
 */
export async function* walkImages(root: string, options: WalkOptions): AsyncGenerator<ImageFile> {
  const { stepTimeoutMs, maxFiles = 100_000 } = options;
  const step = <T>(work: Promise<T>, what: string) => withDeadline(work, stepTimeoutMs, what);
  const realRoot = await step(fs.realpath(root), "the storage domain's directory walk");
  const linked = new LinkedPlaces();
  const pending: string[] = [realRoot]; // the domain, then the hidden directories entered through a link
  let listed = 0;
  const image = (real: string): ImageFile | null => {
    const format = formatFromExtension(real);
    if (!format) return null;
    if (++listed > maxFiles) throw new WalkLimitError(`more than ${maxFiles} images under ${root}`);
    return { relPath: path.relative(realRoot, real), absPath: real, format };
  };
  for (let top = pending.shift(); top !== undefined; top = pending.shift()) {
    for await (const entry of findEntries(top, stepTimeoutMs)) {
      const full = path.join(top, entry.path);
      // Inside a hidden directory, a part another link reached first was (or will be) walked from there.
      if (top !== realRoot && linked.covers(full, top)) continue;
      if (entry.type === "file") {
        const found = image(full);
        if (found) yield found;
        continue;
      }
      const link = `the link ${path.relative(realRoot, full)}`;
      const target = await step(fs.realpath(full), link).catch(orNull);
      if (!target || !isInside(target, realRoot) || !hasHiddenPart(path.relative(realRoot, target))) continue;
      if (linked.covers(target, realRoot)) continue;
      const stat = await step(fs.stat(target), link).catch(orNull);
      if (!stat) continue;
      linked.add(target);
      if (stat.isDirectory()) pending.push(target);
      else if (stat.isFile()) {
        const found = image(target);
        if (found) yield found;
      }
    }
  }
}
