import { execa } from "execa";
import type { ImageFormat } from "../../src/host/image-format.js";
import { withRawView } from "./image-checks.js";

/**
 * Marks the ext filesystem at `offset` as needing journal recovery (the state a guest that lost
 * power leaves): debugfs sets the `needs_recovery` feature. Through a writable view for qcow2.
 */
export async function makeJournalDirty(path: string, format: ImageFormat, offset = 0): Promise<void> {
  const dev = (raw: string) => (offset ? `${raw}?offset=${offset}` : raw);
  if (format === "raw") {
    await execa("debugfs", ["-w", "-R", "feature needs_recovery", dev(path)], { stdin: "ignore" });
    return;
  }
  // qcow2: convert out, flag, convert back (small test images; the guest view is what matters).
  const raw = `${path}.dirty.raw`;
  await execa("qemu-img", ["convert", "-f", "qcow2", "-O", "raw", path, raw]);
  await execa("debugfs", ["-w", "-R", "feature needs_recovery", dev(raw)], { stdin: "ignore" });
  await execa("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, path]);
  await execa("rm", ["-f", raw]);
}

/** `qemu-img info` actual size (bytes the image uses on the host). */
export async function actualSize(path: string, format: ImageFormat): Promise<number> {
  const { stdout } = await execa("qemu-img", ["info", "--output=json", "-U", "-f", format, path]);
  return (JSON.parse(stdout) as { "actual-size": number })["actual-size"];
}

/** The first inode table of the ext filesystem at `offset`, as a disk byte range (dumpe2fs). */
export async function firstInodeTable(path: string, format: ImageFormat, offset = 0): Promise<{ start: number; end: number }> {
  const text = await withRawView(path, format, async (raw) => (await execa("dumpe2fs", [offset ? `${raw}?offset=${offset}` : raw], { stdin: "ignore", stderr: "ignore" })).stdout);
  const blockSize = Number(/^Block size:\s+(\d+)/m.exec(text)![1]);
  const m = /Inode table at (\d+)-(\d+)/.exec(text)!;
  return { start: offset + Number(m[1]) * blockSize, end: offset + (Number(m[2]) + 1) * blockSize };
}
