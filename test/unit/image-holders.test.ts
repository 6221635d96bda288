import { describe, expect, it } from "vitest";
import { onlyBriefReaders } from "../../src/host/image-holders.js";

/** A run waits out qemu's lock only when qemu tools hold it for a moment, never for a VM. */
describe("onlyBriefReaders", () => {
  const h = (...comms: string[]) => comms.map((comm, i) => ({ pid: 100 + i, comm }));
  it.each([
    ["nobody any more (let go since the refusal)", h(), true],
    ["an estimate's qemu-img", h("qemu-img"), true],
    ["an estimate's daemon (comm cut at 15 characters)", h("qemu-storage-da"), true],
    ["qemu-io and qemu-nbd", h("qemu-io", "qemu-nbd"), true],
    ["a VM or an appliance", h("qemu-system-x86"), false],
    ["a tool beside a VM", h("qemu-img", "qemu-system-x86"), false],
    ["an unknown program", h("python3"), false],
    ["the full daemon name (never what /proc says)", h("qemu-storage-daemon"), false],
  ])("%s → %s", (_what, holders, brief) => {
    expect(onlyBriefReaders(holders)).toBe(brief);
  });
});
