import { realpath } from "node:fs/promises";
import path from "node:path";
import { isInside } from "../../domain/storage-path.js";
import type { ExpectedFormat } from "./expected-format.js";
import { ImageRefusal } from "./image-refusal.js";
import type { Inspection } from "./inspect-bytes.js";
import { inspectImage } from "./inspect-image.js";
import { InspectionCode } from "./inspection-code.js";

/** One layer of a disk as the inventory recorded it, leaf first. */
export interface ChainLayer {
  path: string;
  format: ExpectedFormat;
}

const realOrNull = (p: string) => realpath(p).catch(() => null);

/**
 * Inspects every layer of a recorded chain (the disk's own volumes, then its template's) and
 * checks that each header's backing file resolves (realpath) to the next recorded layer, inside
 * the domain, with the recorded format; the last layer must name none. Headers never add layers:
 * the chain comes from the inventory. Run right before any qemu tool opens the chain.
 * @throws {ImageRefusal} the inspector's refusal, BACKING_OUTSIDE_CHAIN, FORMAT_MISMATCH or CHAIN_CHANGED.
 */
export async function inspectChain(layers: readonly ChainLayer[], domainRoot: string): Promise<Inspection[]> {
  const realRoot = await realpath(domainRoot).catch(() => path.resolve(domainRoot));
  const found: Inspection[] = [];
  for (const [i, layer] of layers.entries()) {
    const where = (message: string) => `${path.basename(layer.path)}: ${message}`;
    let inspection: Inspection;
    try {
      inspection = await inspectImage(layer.path, layer.format);
    } catch (error) {
      if (error instanceof ImageRefusal) throw new ImageRefusal(error.code, where(error.message));
      throw error;
    }
    found.push(inspection);
    const next = layers[i + 1];
    const backing = inspection.backing;
    if (!backing) {
      if (next)
        throw new ImageRefusal(
          InspectionCode.CHAIN_CHANGED,
          where(`the header names no backing file, but the scan recorded ${path.basename(next.path)}; rescan the storage domain`),
        );
      continue;
    }
    const named = path.resolve(path.dirname(layer.path), backing.name);
    const real = await realOrNull(named);
    if (!next)
      throw new ImageRefusal(
        InspectionCode.BACKING_OUTSIDE_CHAIN,
        where(`its backing file ${JSON.stringify(backing.name)} is not part of the disk's recorded chain`),
      );
    const realNext = await realOrNull(next.path);
    if (!real || !realNext || real !== realNext || !isInside(real, realRoot)) {
      throw new ImageRefusal(
        InspectionCode.BACKING_OUTSIDE_CHAIN,
        where(
          `its backing file ${JSON.stringify(backing.name)} does not resolve to ` +
            `${path.basename(next.path)}, the next volume of the recorded chain inside the domain`,
        ),
      );
    }
    if (backing.format !== next.format) {
      throw new ImageRefusal(
        InspectionCode.FORMAT_MISMATCH,
        where(
          `the header records its backing file as ${backing.format ?? "(no format: qemu would guess)"}, the inventory as ${next.format}`,
        ),
      );
    }
  }
  return found;
}
