import { execa } from "execa";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDirectDaemon, type DirectDaemon } from "../../src/host/direct/direct-daemon.js";
import { requireTools } from "../support/require-tool.js";

const MiB = 1024 * 1024;

/** The daemon's windows: what the tools may open, and that nothing written through one reaches the image. */
describe.runIf(requireTools("qemu-storage-daemon", "qemu-img"))("DIRECT daemon windows", () => {
  let dir: string;
  let image: string;
  let daemon: DirectDaemon;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "direct-daemon-"));
    image = path.join(dir, "disk.qcow2");
    await execa("qemu-img", ["create", "-q", "-f", "qcow2", image, String(64 * MiB)]);
    await execa("qemu-io", ["-f", "qcow2", "-c", `write -q -P 0x5a 0 ${MiB}`, image]);
    daemon = await openDirectDaemon([{ path: image, format: "qcow2" }], { signal: AbortSignal.timeout(60_000) });
  }, 60_000);
  afterAll(async () => {
    await daemon?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("a read-only window reads the disk and refuses every write", async () => {
    const window = await daemon.openWindow({ offset: 0, size: 2 * MiB }, { readOnly: true });
    const fd = await fs.open(window, "r");
    const { bytesRead, buffer } = await fd.read(Buffer.alloc(16), 0, 16, 0);
    await fd.close();
    expect(bytesRead).toBe(16);
    expect(buffer.every((b) => b === 0x5a)).toBe(true);
    const writing = (async () => {
      const w = await fs.open(window, "r+");
      try {
        await w.write(Buffer.alloc(16), 0, 16, 0);
        await w.sync();
      } finally {
        await w.close();
      }
    })();
    await expect(writing).rejects.toThrow();
  });

  it("a tool's window takes writes in its throwaway overlay, never in the image", async () => {
    const window = await daemon.openWindow({ offset: 0, size: 2 * MiB });
    const w = await fs.open(window, "r+");
    await w.write(Buffer.alloc(16), 0, 16, 0);
    await w.close();
    const back = await fs.open(window, "r");
    const { buffer } = await back.read(Buffer.alloc(16), 0, 16, 0);
    await back.close();
    expect(buffer.every((b) => b === 0)).toBe(true);
    const whole = await daemon.read(0, 16);
    expect(whole.every((b) => b === 0x5a)).toBe(true);
  });
});
