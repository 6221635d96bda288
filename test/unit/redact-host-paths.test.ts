import { describe, expect, it } from "vitest";
import { HIDDEN_PATH as P, redactHostPaths } from "../../src/domain/redact-host-paths.js";

describe("redactHostPaths", () => {
  it.each([
    ["Storage domain s1 added at /srv/storage/s1", `Storage domain s1 added at ${P}`],
    [
      "d.qcow2 cannot be read as qcow2: Could not open '/var/lib/x/d.qcow2': Permission denied",
      `d.qcow2 cannot be read as qcow2: Could not open '${P}': Permission denied`,
    ],
    ['qemu-img: Could not open "/a b/c": No such file', `qemu-img: Could not open "${P} b/c": No such file`],
    ["backing file /etc/shadow is outside the domain", `backing file ${P} is outside the domain`],
    ["EACCES: permission denied, open '/srv/s/x.raw'", `EACCES: permission denied, open '${P}'`],
    ["ENOENT: no such file or directory, scandir /srv/gone", `ENOENT: no such file or directory, scandir ${P}`],
    ["(/usr/bin/virt-sparsify exited 1)", `(${P} exited 1)`],
    ["paths /a, /b; and /c: done", `paths ${P}, ${P}; and ${P}: done`],
    ["at /srv/x:", `at ${P}:`],
    // Not paths: relative names, ratios, URLs, words with a slash, a lone slash.
    ["vm1/disk.qcow2 has a snapshot", "vm1/disk.qcow2 has a snapshot"],
    ["progress 10/20, KVM/TCG", "progress 10/20, KVM/TCG"],
    ["see https://libguestfs.org/virt-sparsify.1.html", "see https://libguestfs.org/virt-sparsify.1.html"],
    ["and/or", "and/or"],
    ["a / b", "a / b"],
    ["", ""],
  ])("%s", (input, expected) => {
    expect(redactHostPaths(input)).toBe(expected);
  });
});
