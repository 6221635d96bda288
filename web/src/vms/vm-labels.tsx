import type { VmSummary } from "../api/types";
import { vmStatusTone } from "../disks/disk-labels";
import { humanise } from "../format";

export function VmStatusChip({ status }: { status: string }) {
  return <span className={`chip chip-${vmStatusTone(status)}`}>{humanise(status)}</span>;
}

/** "libvirt on kvm-a" or "manual": where the VM's facts come from. */
export function VmSourceText({ vm }: { vm: Pick<VmSummary, "source" | "host"> }) {
  if (vm.source === "MANUAL") return <span className="chip">Manual</span>;
  const unreachable = vm.host?.libvirt.state === "UNREACHABLE";
  return (
    <>
      <span className="chip">libvirt</span> <span className="small">on {vm.host?.name ?? "?"}</span>
      {unreachable && <span className="chip chip-warn"> host unreachable</span>}
    </>
  );
}
