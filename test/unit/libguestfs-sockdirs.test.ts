import { describe, expect, it } from "vitest";
import { parseProcNetUnix, selectSockdirsToRemove, type SockdirCandidate } from "../../src/host/libguestfs-sockdirs.js";
import { parseProcStat } from "../../src/host/process-tree.js";

describe("parseProcNetUnix", () => {
  it("maps inode to bound path, skipping unbound sockets", () => {
    const text = [
      "Num       RefCount Protocol Flags    Type St Inode Path",
      "000000009b5849cd: 00000002 00000000 00010000 0001 01  5322 /var/run/postgresql/.s.PGSQL.5432",
      "00000000c0ffee00: 00000003 00000000 00000000 0001 03  18134 /tmp/libguestfsVkSRjd/guestfsd.sock",
      "00000000deadbeef: 00000003 00000000 00000000 0001 03  18200",
    ].join("\n");
    expect([...parseProcNetUnix(text)]).toEqual([
      ["5322", "/var/run/postgresql/.s.PGSQL.5432"],
      ["18134", "/tmp/libguestfsVkSRjd/guestfsd.sock"],
    ]);
  });
});

describe("selectSockdirsToRemove", () => {
  const c = (name: string, attributed: boolean, hasSocketFile: boolean, live: boolean): SockdirCandidate => ({
    name,
    attributed,
    hasSocketFile,
    live,
  });
  it.each([
    ["ours (seen holding our socket)", c("libguestfsA", true, true, false), true],
    ["ours, even if some socket is still bound", c("libguestfsA", true, true, true), true],
    ["dead owner: socket file, nothing bound", c("libguestfsB", false, true, false), true],
    ["a concurrent live run", c("libguestfsC", false, true, true), false],
    ["empty: a neighbour before bind, or its TMPDIR", c("libguestfsD", false, false, false), false],
  ])("%s", (_name, candidate, removed) => {
    expect(selectSockdirsToRemove([candidate])).toEqual(removed ? [candidate.name] : []);
  });
});

describe("parseProcStat", () => {
  it.each([
    [
      "plain",
      "4242 (qemu-system-x86) S 4200 4200 4200 0 -1 4194560 1 0 0 0 1 2 0 0 20 0 3 0 987654 1 2",
      { pid: 4242, ppid: 4200, startTime: "987654" },
    ],
    [
      "comm with spaces and parens",
      "77 (a) b (c) R 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0",
      { pid: 77, ppid: 1, startTime: "555" },
    ],
    ["garbage", "nonsense", undefined],
  ])("%s", (_name, text, expected) => expect(parseProcStat(text)).toEqual(expected));
});
