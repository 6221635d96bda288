/** The parts of a VM the filter reads (the generated VmSummary has them; kept structural so unit tests need no generated code). */
interface FilterableVm {
  name: string;
  source: string;
  status: string;
  host: { name: string } | null;
}

/** What the VMs page narrows the list by; empty fields match everything. */
export interface VmFilter {
  /** Case-insensitive part of the name or of the host's name. */
  text: string;
  source: string;
  status: string;
}

export const NO_VM_FILTER: VmFilter = { text: "", source: "", status: "" };

/** The VMs that pass the filter, in their order. Pure. */
export function filterVms<T extends FilterableVm>(vms: readonly T[], filter: VmFilter): T[] {
  const text = filter.text.trim().toLowerCase();
  return vms.filter(
    (vm) =>
      (!filter.source || vm.source === filter.source) &&
      (!filter.status || vm.status === filter.status) &&
      (!text || vm.name.toLowerCase().includes(text) || (vm.host?.name.toLowerCase().includes(text) ?? false)),
  );
}
