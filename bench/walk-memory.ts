/**
 * The host side of bench:scan-memory: the walk of a real directory tree of small files (BENCH_WALK_SIZES,
 * default 20,000 and 100,000 images; 1,000 per directory and one flat directory), taken by four lanes
 * as the scan's readers take it, with a consumer that keeps nothing. Peak live heap above the heap held
 * before (sampled after a forced GC) against the names held whole, as the walk held them before it streamed.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setImmediate as yieldTurn } from "node:timers/promises";
import type { ImageFile } from "../src/host/scan/image-file.js";
import { walkImages } from "../src/host/scan/walk-images.js";

const SIZES = (process.env.BENCH_WALK_SIZES ?? "20000,100000").split(",").filter(Boolean).map(Number);

async function makeTree(root: string, files: number, perDir: number): Promise<void> {
  for (let start = 0; start < files; start += perDir) {
    const dir = perDir >= files ? root : path.join(root, `vm-${String(start / perDir).padStart(4, "0")}`);
    await fs.mkdir(dir, { recursive: true });
    const names = Array.from({ length: Math.min(perDir, files - start) }, (_, i) => `disk-${start + i}-of-some-guest.qcow2`);
    for (let i = 0; i < names.length; i += 500)
      await Promise.all(names.slice(i, i + 500).map((n) => fs.writeFile(path.join(dir, n), "")));
  }
}

export async function measureWalk(live: () => number, mib: (bytes: number) => string): Promise<void> {
  console.log("host walk: peak live heap above the heap held before, four lanes taking images, nothing kept");
  for (const files of SIZES) {
    for (const [layout, perDir] of [
      ["1,000 per directory", 1_000],
      ["one directory", files],
    ] as const) {
      const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "bench-walk-"));
      try {
        await makeTree(tmp, files, perDir);
        const before = live();
        let peak = before;
        const sampler = setInterval(() => (peak = Math.max(peak, live())), 20);
        const t0 = performance.now();
        const walk = walkImages(tmp, { stepTimeoutMs: 30_000, maxFiles: files });
        let seen = 0;
        const lane = async () => {
          for (let next = await walk.next(); !next.done; next = await walk.next()) {
            seen++;
            await yieldTurn();
          }
        };
        await Promise.all([lane(), lane(), lane(), lane()]);
        const s = (performance.now() - t0) / 1000;
        clearInterval(sampler);
        const streamed = Math.max(peak, live()) - before;
        // Reference: every image found first and held, as the walk did before it streamed.
        const start = live();
        const held: ImageFile[] = [];
        for await (const image of walkImages(tmp, { stepTimeoutMs: 30_000, maxFiles: files })) held.push(image);
        const whole = live() - start;
        console.log(
          `${String(files).padStart(7)} images, ${layout}: streamed +${mib(streamed)} (${seen} taken, ${s.toFixed(1)} s, ` +
            `GC forced every 20 ms); ` +
            `held whole: ${mib(whole)} (${held.length})`,
        );
      } finally {
        await fs.rm(tmp, { recursive: true, force: true });
      }
    }
  }
}
