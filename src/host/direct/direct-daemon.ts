import { chmod, chown, mkdir, mkdtemp, open, readFile, rm, writeFile, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import { childEnv } from "../child-env.js";
import { deathSignalWrapper, dieWithService, OWN_SESSION } from "../own-session.js";
import type { ImageFormat } from "../image-format.js";
import { ImageErrorCode, ImageProbeError } from "../image-probe-error.js";
import { parseMounts } from "../nfs-mounts.js";
import { classifyQemuError } from "../qemu-error-classifier.js";
import { imageToolCommand, runImageTool } from "../run-image-tool.js";
import { toolPath } from "../tools.js";
import type { ExportWindow } from "../estimate/fuse-export-args.js";
import { directDaemonArgs, NBD_EXPORT } from "./direct-daemon-args.js";
import { QmpClient } from "./qmp-client.js";
import { readAt } from "../read-at.js";

/** Options for {@link openDirectDaemon}. */
export interface DirectDaemonOptions {
  signal: AbortSignal;
  /** Checkers run as this identity: only it (and root) may read the exports. */
  parser?: { uid: number; gid: number };
}

/** A running qemu-storage-daemon holding the image's write lock. */
export interface DirectDaemon {
  /** The daemon's process id (what it holds open is read through /proc). */
  pid: number;
  /** The whole guest disk, read-only (FUSE). */
  viewPath: string;
  /** Guest disk size in bytes. */
  size: number;
  /** Where qemu-io sends the discards. */
  nbdUri: string;
  /** Reads the guest disk at absolute offsets (fewer bytes at the end of the disk). */
  read(offset: number, length: number): Promise<Buffer>;
  /**
   * A file of exactly `[offset, offset + size)` of the disk, for tools without offsets. Writes to
   * it land in a throwaway overlay, never in the image; with `readOnly` (what every DIRECT reader
   * and check uses) there is no overlay and the file cannot be opened for writing at all.
   */
  openWindow(window: ExportWindow, opts?: { readOnly?: boolean }): Promise<string>;
  /** Stops the daemon (the lock goes with it), unmounts everything, removes the private dir. Never throws. */
  close(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;
const DAEMON_CPU_SECONDS = 3_600;
const POLL_MS = 2;

const mountedPoints = async (): Promise<Set<string>> =>
  new Set(parseMounts(await readFile("/proc/mounts", "utf8")).map((m) => m.mountPoint));

/** Reads a file (an export) at offsets; close it before the daemon stops. */
export async function openFileReader(
  path: string,
): Promise<{ read: (offset: number, length: number) => Promise<Buffer>; close: () => Promise<void> }> {
  const fd = await open(path, "r");
  return { read: (offset, length) => readAt(fd, offset, length), close: () => fd.close().catch(() => undefined) };
}

/** Makes an export reachable by the checker's group only (qsd keeps mode and owner in memory). */
async function restrict(path: string, parser: DirectDaemonOptions["parser"], mode = 0o440): Promise<void> {
  if (!parser) return;
  await chown(path, 0, parser.gid);
  await chmod(path, mode);
}

/**
 * Starts qemu-storage-daemon on the disk's chain (leaf first; see {@link directDaemonArgs}) and
 * waits for its FUSE view. The daemon runs in the foreground with `--pdeathsig=TERM`: if the
 * worker dies, it stops, flushes and unlocks. Its private directory is 0700 for the sockets; the
 * exports sit in a directory only the checker's group may enter.
 * @throws {ImageProbeError} the daemon did not start (IMAGE_IN_USE when the write lock is taken).
 */
export async function openDirectDaemon(
  layers: readonly { path: string; format: ImageFormat }[],
  opts: DirectDaemonOptions,
): Promise<DirectDaemon> {
  opts.signal.throwIfAborted();
  const dir = await mkdtemp(join(tmpdir(), "direct-run-"));
  const ctl = join(dir, "ctl");
  const paths = { nbdSocket: join(ctl, "nbd.sock"), qmpSocket: join(ctl, "qmp.sock"), view: join(dir, "disk.raw") };
  const mountpoints = [paths.view];
  let child: ResultPromise | undefined;
  let ended = false;
  let fd: FileHandle | undefined;
  let qmp: QmpClient | undefined;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      qmp?.close();
      await fd?.close().catch(() => undefined);
      if (child && !ended) {
        child.kill("SIGTERM");
        const stopped = await Promise.race([child.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
        if (!stopped) {
          child.kill("SIGKILL");
          await child;
        }
      }
      const mounted = await mountedPoints().catch(() => new Set(mountpoints));
      const fusermount = toolPath("fusermount3") ?? toolPath("fusermount");
      for (const point of mountpoints.filter((m) => mounted.has(m))) {
        if (fusermount)
          await execa(...dieWithService(fusermount, ["-u", "-z", point]), {
            ...OWN_SESSION,
            reject: false,
            stdin: "ignore",
            extendEnv: false,
            env: childEnv(),
            timeout: 10_000,
          });
      }
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    })());
  try {
    await mkdir(ctl, { mode: 0o700 });
    await writeFile(paths.view, "");
    if (opts.parser) {
      await chown(dir, 0, opts.parser.gid);
      await chmod(dir, 0o710);
    }
    const qsd = directDaemonArgs(layers, paths, opts.parser !== undefined);
    // It lives for the whole run and serves every read (a FULL check reads the disk twice): CPU
    // time grows with the disk, so its limit is an hour instead of a probe's two minutes.
    const limits = { cpuSeconds: DAEMON_CPU_SECONDS };
    const { file, args, options } = imageToolCommand("qemu-storage-daemon", qsd, {
      limits,
      wrapper: deathSignalWrapper("TERM"),
    });
    child = execa(file, args, {
      reject: false,
      stdin: "ignore",
      ...OWN_SESSION,
      stdout: "ignore",
      stderr: "pipe",
      maxBuffer: 64 * 1024,
      extendEnv: false,
      env: options.env!,
      cwd: "/",
    });
    void child.then(() => (ended = true));
    while (!(await mountedPoints()).has(paths.view)) {
      if (ended) {
        const result = await child;
        const message =
          String(result.stderr ?? "").trim() ||
          `qemu-storage-daemon ended before the export was mounted: ${result.shortMessage ?? result.exitCode}`;
        throw new ImageProbeError(classifyQemuError(message), message, layers[0]!.path);
      }
      opts.signal.throwIfAborted();
      await sleep(POLL_MS);
    }
    await restrict(paths.view, opts.parser);
    qmp = await QmpClient.connect(paths.qmpSocket);
    fd = await open(paths.view, "r");
    const { size } = await fd.stat();
    const handle = fd;
    const client = qmp;
    let windows = 0;
    return {
      pid: child.pid!,
      viewPath: paths.view,
      size,
      nbdUri: `nbd+unix:///${NBD_EXPORT}?socket=${paths.nbdSocket}`,
      read: (offset, length) => readAt(handle, offset, length),
      openWindow: async ({ offset, size: length }, { readOnly = false } = {}) => {
        const id = `win${++windows}`;
        const mountpoint = join(dir, `${id}.raw`);
        const scratch = join(ctl, `${id}.qcow2`);
        await writeFile(mountpoint, "");
        mountpoints.push(mountpoint);
        // The window itself is a read-only node: nothing written through it can reach the image.
        await client.execute("blockdev-add", {
          driver: "raw",
          "node-name": id,
          file: "layer0",
          offset,
          size: length,
          "read-only": true,
        });
        if (readOnly) {
          await client.execute("block-export-add", {
            type: "fuse",
            id,
            "node-name": id,
            mountpoint,
            writable: false,
            growable: false,
            "allow-other": opts.parser ? "on" : "off",
          });
          await restrict(mountpoint, opts.parser);
          return mountpoint;
        }
        // For a tool that opens its device O_RDWR and only reads: a writable scratch overlay on the
        // window, a qcow2 in the private dir that is thrown away with it (one qemu-img process).
        const created = await runImageTool("qemu-img", ["create", "-q", "-f", "qcow2", scratch, String(length)]);
        if (created.exitCode !== 0)
          throw new ImageProbeError(ImageErrorCode.IMAGE_UNREADABLE, `scratch overlay: ${created.stderr.trim()}`, scratch);
        await client.execute("blockdev-add", {
          driver: "qcow2",
          "node-name": `${id}s`,
          file: { driver: "file", filename: scratch },
          backing: id,
        });
        await client.execute("block-export-add", {
          type: "fuse",
          id,
          "node-name": `${id}s`,
          mountpoint,
          writable: true,
          growable: false,
          "allow-other": opts.parser ? "on" : "off",
        });
        await restrict(mountpoint, opts.parser, 0o660);
        return mountpoint;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
