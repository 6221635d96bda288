/** Loaders for the recorded tool outputs in test/fixtures/estimate (see its README.md). */
import { readFileSync } from "node:fs";
import type { ReadAt } from "../../src/host/estimate/partition-table.js";

const dir = new URL("../fixtures/estimate/", import.meta.url);

export const fixtureText = (name: string): string => readFileSync(new URL(name, dir), "utf8");
export const fixtureJson = <T = unknown>(name: string): T => JSON.parse(fixtureText(name)) as T;

/** A disk recorded by sectors.mjs: its size and its non-zero 512-byte sectors. */
export interface SectorDump {
  size: number;
  sectors: Record<string, string>;
}

/** Reads a recorded disk like the raw view would: zeros where nothing was recorded, short at the end. */
export function sectorReader(dump: SectorDump): ReadAt {
  return async (offset, length) => {
    const out = Buffer.alloc(Math.max(0, Math.min(length, dump.size - offset)));
    for (const [lba, b64] of Object.entries(dump.sectors)) {
      const at = Number(lba) * 512 - offset;
      if (at + 512 <= 0 || at >= out.length) continue;
      const data = Buffer.from(b64, "base64");
      data.copy(out, Math.max(0, at), Math.max(0, -at));
    }
    return out;
  };
}

/** The first `length` bytes of a recorded disk or filesystem. */
export const headOf = (dump: SectorDump, length: number): Promise<Buffer> => sectorReader(dump)(0, length);
