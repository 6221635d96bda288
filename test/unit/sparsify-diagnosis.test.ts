import { describe, expect, it } from "vitest";
import { ImageErrorCode } from "../../src/host/image-probe-error.js";
import {
  diagnoseFailure,
  SparsifyFailureCode as F,
  type DiagnosableRun,
  type ImageAccessProbe,
} from "../../src/host/sparsify-diagnosis.js";

const ok: DiagnosableRun = { exitCode: 0, cancelled: false, timedOut: false, completed: true };
const launchFailed: DiagnosableRun = {
  exitCode: 1,
  cancelled: false,
  timedOut: false,
  completed: false,
  errorMessage:
    "libguestfs error: guestfs_launch failed.\nThis usually means the libguestfs appliance failed to start or crashed.",
};

describe("diagnoseFailure", () => {
  it.each<[string, DiagnosableRun, ImageAccessProbe, F | null]>([
    ["success", ok, {}, null],
    ["success even if the probe would complain", ok, { infoError: ImageErrorCode.IMAGE_IN_USE }, null],
    [
      "cancel wins over everything",
      { ...launchFailed, cancelled: true },
      { infoError: ImageErrorCode.IMAGE_IN_USE },
      F.CANCELLED,
    ],
    ["timeout", { ...ok, exitCode: 1, completed: false, timedOut: true }, {}, F.TIMED_OUT],
    ["launch failed + lock seen by qemu-img info", launchFailed, { infoError: ImageErrorCode.IMAGE_IN_USE }, F.IMAGE_IN_USE],
    ["launch failed + chattr +i (EPERM)", launchFailed, { writeError: "EPERM" }, F.PERMISSION_DENIED],
    ["launch failed + EACCES", launchFailed, { writeError: "EACCES" }, F.PERMISSION_DENIED],
    ["launch failed + wrong format", launchFailed, { infoError: ImageErrorCode.WRONG_FORMAT }, F.WRONG_FORMAT],
    ["launch failed, image fine → appliance", launchFailed, {}, F.APPLIANCE_FAILED],
    [
      "missing file, from the error text alone",
      { ...launchFailed, errorMessage: "libguestfs error: /x.qcow2: No such file or directory" },
      {},
      F.IMAGE_NOT_FOUND,
    ],
    [
      "missing file, from the probe",
      launchFailed,
      { infoError: ImageErrorCode.IMAGE_NOT_FOUND, writeError: "ENOENT" },
      F.IMAGE_NOT_FOUND,
    ],
    [
      "qemu killed under us",
      { ...launchFailed, errorMessage: "libguestfs error: /usr/bin/qemu-system-x86_64 killed by signal 9 (Killed)." },
      {},
      F.APPLIANCE_FAILED,
    ],
    [
      "killed by someone else's SIGKILL",
      { exitCode: null, signal: "SIGKILL", cancelled: false, timedOut: false, completed: false },
      {},
      F.SPARSIFY_FAILED,
    ],
    ["rc 0 without the completion message", { ...ok, completed: false }, {}, F.SPARSIFY_FAILED],
    ["unknown error", { ...launchFailed, errorMessage: "libguestfs error: mount: something" }, {}, F.SPARSIFY_FAILED],
    [
      "unreadable per probe, falls through to the text",
      launchFailed,
      { infoError: ImageErrorCode.IMAGE_UNREADABLE },
      F.APPLIANCE_FAILED,
    ],
  ])("%s", (_name, run, probe, code) => {
    const diagnosis = diagnoseFailure(run, probe);
    expect(diagnosis?.code ?? null).toBe(code);
    if (diagnosis) expect(diagnosis.message.length).toBeGreaterThan(10);
  });

  it("names the signal and the first error line in SPARSIFY_FAILED", () => {
    expect(
      diagnoseFailure({ exitCode: null, signal: "SIGKILL", cancelled: false, timedOut: false, completed: false })?.message,
    ).toBe("virt-sparsify was killed by SIGKILL");
  });
});
