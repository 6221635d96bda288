import { describe, expect, it } from "vitest";
import {
  applianceDir,
  cpuHasVirtualization,
  defaultBackendSettings,
  parseQemuImgVersion,
  parseVirtSparsifyVersion,
} from "../../src/host/host-capabilities.js";

describe("host capability parsers", () => {
  it.each([
    ["virt-sparsify 1.48.2\n", "1.48.2"],
    ["something else", null],
  ])("parseVirtSparsifyVersion(%j)", (text, version) => expect(parseVirtSparsifyVersion(text)).toBe(version));

  it.each([
    ["qemu-img version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard", "7.2.22"],
    ["", null],
  ])("parseQemuImgVersion(%j)", (text, version) => expect(parseQemuImgVersion(text)).toBe(version));

  it.each([
    ["flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr", false],
    ["flags\t\t: fpu vme vmx ept", true],
    ["flags\t\t: fpu svm npt", true],
    // "vmx" elsewhere (e.g. the bugs line) does not count.
    ["flags\t\t: fpu\nbugs\t\t: vmx_leak", false],
  ])("cpuHasVirtualization(%j) → %s", (cpuinfo, has) => expect(cpuHasVirtualization(cpuinfo)).toBe(has));

  it("appliance dir and backend settings", () => {
    expect(applianceDir("/var/tmp", 0)).toBe("/var/tmp/.guestfs-0/appliance.d");
    expect(defaultBackendSettings({ kvmUsable: false })).toBe("force_tcg");
    expect(defaultBackendSettings({ kvmUsable: true })).toBeUndefined();
  });
});
