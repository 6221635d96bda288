import { describe, expect, it } from "vitest";
import { ImageErrorCode } from "../../src/host/image-probe-error.js";
import { classifyQemuError } from "../../src/host/qemu-error-classifier.js";

// Every message below was printed by qemu 7.2 on this machine (docs/virt-sparsify.md §5 and our own runs).
const cases: Array<[string, ImageErrorCode]> = [
  [
    `qemu-img: Could not open 'l.qcow2': Failed to get shared "write" lock\nIs another process using the image [l.qcow2]?`,
    ImageErrorCode.IMAGE_IN_USE,
  ],
  [`qemu-io: can't open device /tmp/rec/hr.raw: Failed to get "write" lock`, ImageErrorCode.IMAGE_IN_USE],
  [`qemu-system-x86_64: -device scsi-hd,drive=hd0: Failed to get shared "write" lock`, ImageErrorCode.IMAGE_IN_USE],
  [
    `qemu-img: Could not open 'nope.qcow2': Could not open 'nope.qcow2': No such file or directory`,
    ImageErrorCode.IMAGE_NOT_FOUND,
  ],
  [`libguestfs error: /tmp/rec/does-not-exist.qcow2: No such file or directory`, ImageErrorCode.IMAGE_NOT_FOUND],
  [
    `qemu-img: Could not open '/tmp/rec/p.raw': Could not open '/tmp/rec/p.raw': Permission denied`,
    ImageErrorCode.PERMISSION_DENIED,
  ],
  [`Could not open '/srv/imm.qcow2': Operation not permitted`, ImageErrorCode.PERMISSION_DENIED],
  // A directory without search permission reads as "Permission denied", not "not found".
  [
    `qemu-img: Could not open '/tmp/rec/dd/x': Could not open '/tmp/rec/dd/x': Permission denied`,
    ImageErrorCode.PERMISSION_DENIED,
  ],
  [`qemu-img: Could not open 'r1.raw': Image is not in qcow2 format`, ImageErrorCode.WRONG_FORMAT],
  [`qemu-img: This image format does not support checks`, ImageErrorCode.WRONG_FORMAT],
  [`qemu-img: Could not open 'r1.raw': invalid VMDK image descriptor`, ImageErrorCode.WRONG_FORMAT],
  [
    `qemu-img: Could not open '/tmp/rec/dd': 'file' driver requires '/tmp/rec/dd' to be a regular file`,
    ImageErrorCode.IMAGE_UNREADABLE,
  ],
  [`libguestfs error: guestfs_launch failed.`, ImageErrorCode.IMAGE_UNREADABLE],
  ["", ImageErrorCode.IMAGE_UNREADABLE],
];

describe("classifyQemuError", () => {
  it.each(cases)("%s → %s", (stderr, code) => {
    expect(classifyQemuError(stderr)).toBe(code);
  });
});
