import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";

/** `qemu-img create` with argv only; a LUKS iteration time short enough for tests. */
export async function qemuImgCreate(
  dir: string,
  name: string,
  format: string,
  size: string,
  options: string[] = [],
): Promise<string> {
  const path = join(dir, name);
  const secret = ["--object", "secret,id=sec0,data=test"];
  const needsSecret = format === "luks" || options.some((o) => o.includes("encrypt."));
  const opts = format === "luks" ? ["-o", "key-secret=sec0,iter-time=50", ...options] : options;
  // qemu calibrates its PBKDF by timing a first batch of iterations with getrusage; on these
  // VMs that batch measures 0 ms in about one try of five, idle or loaded alike (measured 5/30
  // and 6/30), and qemu-img fails with "Unable to get accurate CPU usage". Five tries were seen
  // failing in a row under a full test run, so try many times, pausing so the tries spread out.
  for (let attempt = 1; ; attempt++) {
    try {
      await execa("qemu-img", ["create", "-q", "-f", format, ...(needsSecret ? secret : []), ...opts, path, size]);
      return path;
    } catch (error) {
      if (attempt >= 40 || !/accurate CPU usage/.test(String((error as { stderr?: string }).stderr))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * Math.min(attempt, 10)));
    }
  }
}

/** Overwrites bytes of a file at an offset (to forge header fields qemu-img will not write). */
export async function patchBytes(path: string, offset: number, bytes: Buffer): Promise<void> {
  const { open } = await import("node:fs/promises");
  const fh = await open(path, "r+");
  try {
    await fh.write(bytes, 0, bytes.length, offset);
  } finally {
    await fh.close();
  }
}

export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

export const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};

export async function writeText(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}
