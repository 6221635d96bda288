import { describe, expect, it } from "vitest";
import { filterVms, NO_VM_FILTER } from "../../web/src/vms/vm-filter.js";

const vms = [
  { name: "mail-01", source: "MANUAL" as const, status: "UP" as const, host: null },
  { name: "web-1", source: "LIBVIRT" as const, status: "DOWN" as const, host: { name: "kvm-a" } },
  { name: "web-2", source: "LIBVIRT" as const, status: "UP" as const, host: { name: "kvm-b" } },
];

describe("VMs page filter", () => {
  it.each([
    [NO_VM_FILTER, ["mail-01", "web-1", "web-2"]],
    [{ ...NO_VM_FILTER, text: "WEB" }, ["web-1", "web-2"]],
    [{ ...NO_VM_FILTER, text: " kvm-b " }, ["web-2"]],
    [{ ...NO_VM_FILTER, source: "MANUAL" as const }, ["mail-01"]],
    [{ ...NO_VM_FILTER, status: "UP" as const }, ["mail-01", "web-2"]],
    [{ text: "web", source: "LIBVIRT" as const, status: "DOWN" as const }, ["web-1"]],
    [{ ...NO_VM_FILTER, text: "nothing" }, []],
  ])("%j keeps %j", (filter, names) => {
    expect(filterVms(vms, filter).map((v) => v.name)).toEqual(names);
  });
});
