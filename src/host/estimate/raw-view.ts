import { constants as fsConstants } from "node:fs";
import { chmod, chown, mkdtemp, open, readFile, rm, writeFile, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import { childEnv } from "../child-env.js";
import { deathSignalWrapper, dieWithService, OWN_SESSION } from "../own-session.js";
import { imageToolCommand } from "../run-image-tool.js";
import { toolPath } from "../tools.js";
import type { ImageFormat } from "../image-format.js";
import { ImageErrorCode, ImageProbeError } from "../image-probe-error.js";
import { parseMounts } from "../nfs-mounts.js";
import { classifyQemuError } from "../qemu-error-classifier.js";
import { fuseExportArgs, type ExportWindow } from "./fuse-export-args.js";
import { viewPlan } from "./view-plan.js";
import { readAt } from "../read-at.js";

/** The guest disk as one raw, read-only file. */
export interface RawView {
  /** What a parser opens: the FUSE export, or the raw image itself. */
  path: string;
  /** Guest disk size in bytes. */
  size: number;
  /** Reads up to `length` bytes at `offset` (fewer at the end of the disk). */
  read(offset: number, length: number): Promise<Buffer>;
  /** Unmounts and stops the export; idempotent, never throws. */
  close(): Promise<void>;
}

/** Options for {@link openRawView}. */
export interface RawViewOptions {
  /** Stops waiting for the export (the daemon is then stopped and unmounted). */
  signal: AbortSignal;
  /** The parser runs as this identity: only it (and root) may read the export. */
  parser?: { uid: number; gid: number };
  /** Export only this byte range of the disk (always through FUSE). */
  window?: ExportWindow;
}

/** Grace for the daemon to unmount on SIGTERM before SIGKILL and a lazy fusermount. */
const STOP_GRACE_MS = 2_000;
const POLL_MS = 2;

async function isMounted(mountpoint: string): Promise<boolean> {
  const text = await readFile("/proc/mounts", "utf8");
  return parseMounts(text).some((m) => m.mountPoint === mountpoint);
}

async function directView(path: string): Promise<RawView> {
  // Never through a link, never blocking on a FIFO swapped in after the path guard.
  const fd = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  const st = await fd.stat();
  if (!st.isFile()) {
    await fd.close();
    throw new ImageProbeError(ImageErrorCode.IMAGE_UNREADABLE, `${path} is not a regular file`, path);
  }
  const { size } = st;
  return { path, size, read: (o, l) => readAt(fd, o, l), close: () => fd.close().catch(() => undefined) };
}

/** The daemon and whether it has ended (also true when it could not be started at all). */
interface Daemon {
  process: ResultPromise;
  ended: () => boolean;
}

/** Stops the daemon, then makes sure nothing stays mounted, then removes the private dir. */
async function stopExport(daemon: Daemon, dir: string, mountpoint: string): Promise<void> {
  if (!daemon.ended()) {
    daemon.process.kill("SIGTERM");
    const stopped = await Promise.race([daemon.process.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
    if (!stopped) {
      daemon.process.kill("SIGKILL");
      await daemon.process;
    }
  }
  // A SIGKILLed daemon leaves a dead mount ("Transport endpoint is not connected") behind.
  if (await isMounted(mountpoint).catch(() => true)) {
    const fusermount = toolPath("fusermount3") ?? toolPath("fusermount");
    if (fusermount)
      await execa(...dieWithService(fusermount, ["-u", "-z", mountpoint]), {
        ...OWN_SESSION,
        reject: false,
        stdin: "ignore",
        extendEnv: false,
        env: childEnv(),
        timeout: 10_000,
      });
  }
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

function startDaemon(layers: readonly { path: string; format: ImageFormat }[], mountpoint: string, opts: RawViewOptions): Daemon {
  const qsd = fuseExportArgs(layers, mountpoint, opts.parser !== undefined, opts.window);
  // Foreground (a daemonized one survives SIGTERM with its mount, docs/virt-sparsify.md §6); TERM if the worker dies.
  // Bounded like every qemu tool (prlimit, allow-listed env); its lifetime is close()'s business.
  const { file, args, options } = imageToolCommand("qemu-storage-daemon", qsd, { wrapper: deathSignalWrapper("TERM") });
  const child = execa(file, args, {
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
  let ended = false;
  void child.then(() => (ended = true));
  return { process: child, ended: () => ended };
}

async function fuseView(layers: readonly { path: string; format: ImageFormat }[], opts: RawViewOptions): Promise<RawView> {
  const dir = await mkdtemp(join(tmpdir(), "estimate-view-"));
  const mountpoint = join(dir, "disk.raw");
  let daemon: Daemon | undefined;
  let fd: FileHandle | undefined;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await fd?.close().catch(() => undefined);
      if (daemon) await stopExport(daemon, dir, mountpoint);
      else await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    })());
  try {
    await writeFile(mountpoint, "");
    if (opts.parser) {
      // Only root and the parser's group may enter: the export itself becomes 0440 root:<parser gid>.
      await chown(dir, 0, opts.parser.gid);
      await chmod(dir, 0o710);
    }
    daemon = startDaemon(layers, mountpoint, opts);
    while (!(await isMounted(mountpoint))) {
      if (daemon.ended()) {
        const result = await daemon.process;
        const message =
          String(result.stderr ?? "").trim() ||
          `qemu-storage-daemon ended before the export was mounted: ${result.shortMessage ?? result.exitCode}`;
        throw new ImageProbeError(classifyQemuError(message), message, layers[0]!.path);
      }
      opts.signal.throwIfAborted();
      await sleep(POLL_MS);
    }
    if (opts.parser) {
      // qsd keeps mode and owner of the export in memory: the image is not touched.
      await chown(mountpoint, 0, opts.parser.gid);
      await chmod(mountpoint, 0o440);
    }
    fd = await open(mountpoint, "r");
    const { size } = await fd.stat();
    const handle = fd;
    return { path: mountpoint, size, read: (o, l) => readAt(handle, o, l), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Shows the disk (all its layers, leaf first) as one raw read-only file; see {@link viewPlan}.
 * The FUSE export lives in a private dir under `os.tmpdir()` (which the parser's uid must be able
 * to traverse, as it can /tmp) and is always unmounted by `close()`, even after a SIGKILL of the
 * daemon (`fusermount3 -u -z`).
 */
export async function openRawView(
  layers: readonly { path: string; format: ImageFormat }[],
  opts: RawViewOptions,
): Promise<RawView> {
  const resolved = layers.map((l) => ({ path: resolve(l.path), format: l.format }));
  opts.signal.throwIfAborted();
  const direct = !opts.window && viewPlan(resolved, opts.parser !== undefined) === "direct";
  return direct ? directView(resolved[0]!.path) : fuseView(resolved, opts);
}
