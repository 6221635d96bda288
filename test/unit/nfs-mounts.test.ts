import { describe, expect, it } from "vitest";
import { nfsVersionFor, parseMounts } from "../../src/host/nfs-mounts.js";

/** Shaped like a hypervisor's /proc/mounts (fields: device, mount point, type, options, dump, pass). */
const PROC_MOUNTS = [
  "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
  "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
  "/dev/mapper/rhel-root / xfs rw,relatime,attr2,inode64,logbufs=8,logbsize=32k,noquota 0 0",
  "/dev/sda1 /boot xfs rw,relatime,attr2,inode64,noquota 0 0",
  "nfsd /proc/fs/nfsd nfsd rw,relatime 0 0",
  "nas1:/export/vm /srv/storage nfs4 " +
    "rw,relatime,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2," +
    "sec=sys,clientaddr=10.0.0.5,local_lock=none,addr=10.0.0.2 0 0",
  "nas2:/old /srv/storage/legacy nfs " +
    "rw,relatime,vers=3,rsize=65536,wsize=65536,namlen=255,hard,proto=tcp,timeo=600,retrans=2," +
    "sec=sys,mountaddr=10.0.0.3,mountvers=3,mountport=20048,mountproto=udp,local_lock=none," +
    "addr=10.0.0.3 0 0",
  "/dev/sdb1 /srv/storage/legacy/scratch ext4 rw,relatime 0 0",
  "nas3:/export/my\\040vms /mnt/my\\040vms nfs4 rw,relatime,vers=4.1,hard,proto=tcp 0 0",
  "nas4:/export /mnt/nas4 nfs4 rw,relatime,hard,proto=tcp 0 0",
  "nas5:/export /mnt/nas5 nfs rw,relatime,hard,proto=tcp 0 0",
  "nas6:/export /mnt/nas6 nfs rw,relatime,nfsvers=4.2,hard 0 0",
  "",
].join("\n");

describe("parseMounts", () => {
  const mounts = parseMounts(PROC_MOUNTS);

  it("one entry per non-empty line, in order", () => {
    expect(mounts.map((m) => m.mountPoint)).toEqual([
      "/sys",
      "/proc",
      "/",
      "/boot",
      "/proc/fs/nfsd",
      "/srv/storage",
      "/srv/storage/legacy",
      "/srv/storage/legacy/scratch",
      "/mnt/my vms",
      "/mnt/nas4",
      "/mnt/nas5",
      "/mnt/nas6",
    ]);
  });

  it("splits options on commas", () => {
    expect(mounts[5]).toEqual({
      mountPoint: "/srv/storage",
      fsType: "nfs4",
      options: expect.arrayContaining(["rw", "relatime", "vers=4.2", "hard", "proto=tcp"]),
    });
    expect(mounts[5]!.options).toHaveLength(14);
  });

  it.each([
    { name: "space (\\040)", raw: "/mnt/my\\040vms", expected: "/mnt/my vms" },
    { name: "tab (\\011)", raw: "/mnt/a\\011b", expected: "/mnt/a\tb" },
    { name: "newline (\\012)", raw: "/mnt/a\\012b", expected: "/mnt/a\nb" },
    { name: "backslash (\\134)", raw: "/mnt/a\\134b", expected: "/mnt/a\\b" },
    { name: "several escapes", raw: "/mnt/a\\040b\\040c", expected: "/mnt/a b c" },
    { name: "no escape", raw: "/mnt/plain", expected: "/mnt/plain" },
  ])("unescapes $name in the mount point", ({ raw, expected }) => {
    expect(parseMounts(`dev ${raw} nfs4 rw 0 0`)[0]!.mountPoint).toBe(expected);
  });

  it.each([
    { name: "empty text", text: "" },
    { name: "only newlines", text: "\n\n\n" },
    { name: "a line with too few fields", text: "garbage line" },
  ])("$name → no entries", ({ text }) => {
    expect(parseMounts(text)).toEqual([]);
  });

  it("a line without dump/pass fields (4 fields) still parses", () => {
    expect(parseMounts("nas:/x /mnt/x nfs vers=3")).toEqual([{ mountPoint: "/mnt/x", fsType: "nfs", options: ["vers=3"] }]);
  });
});

describe("nfsVersionFor", () => {
  const mounts = parseMounts(PROC_MOUNTS);

  it.each([
    { name: "domain on the nfs4 vers=4.2 mount", dir: "/srv/storage/dom1", expected: "4.2" },
    { name: "the mount point itself", dir: "/srv/storage", expected: "4.2" },
    { name: "nested NFS 3 mount: longest prefix wins", dir: "/srv/storage/legacy/dom2", expected: "3" },
    { name: "nested NFS 3 mount point itself", dir: "/srv/storage/legacy", expected: "3" },
    { name: "local disk mounted inside an NFS mount → not NFS", dir: "/srv/storage/legacy/scratch/dom3", expected: null },
    { name: "sibling of a nested mount stays on the outer one", dir: "/srv/storage/legacy2", expected: "4.2" },
    { name: "octal-escaped mount point with a space", dir: "/mnt/my vms/dom", expected: "4.1" },
    { name: "nfs4 without vers= → 4", dir: "/mnt/nas4/dom", expected: "4" },
    { name: "nfs without vers= → 3", dir: "/mnt/nas5/dom", expected: "3" },
    { name: "nfsvers= is read too", dir: "/mnt/nas6/dom", expected: "4.2" },
    { name: "on the root filesystem (xfs) → null", dir: "/var/lib/libvirt/images", expected: null },
    { name: "prefix trick: /srv/storage2 is not on /srv/storage", dir: "/srv/storage2/dom", expected: null },
    { name: "/boot → null", dir: "/boot/x", expected: null },
  ])("$name: $dir → $expected", ({ dir, expected }) => {
    expect(nfsVersionFor(dir, mounts)).toBe(expected);
  });

  it("no mounts at all → null", () => {
    expect(nfsVersionFor("/srv/storage/dom", [])).toBeNull();
  });

  it("the order of lines does not decide nesting (inner mount listed first)", () => {
    const reversed = parseMounts(PROC_MOUNTS.split("\n").reverse().join("\n"));
    expect(nfsVersionFor("/srv/storage/legacy/dom2", reversed)).toBe("3");
    expect(nfsVersionFor("/srv/storage/dom1", reversed)).toBe("4.2");
  });

  // When two file systems are mounted on the same point, the one listed last is on top (the
  // kernel appends).
  it("a mount stacked on the same point: the last one listed is the visible one", () => {
    const stacked = parseMounts(
      ["/dev/sda1 / ext4 rw 0 0", "/dev/sdc1 /srv/storage ext4 rw 0 0", "nas:/vm /srv/storage nfs4 rw,vers=4.2 0 0"].join("\n"),
    );
    expect(nfsVersionFor("/srv/storage/dom", stacked)).toBe("4.2");
  });
});
