import { useState } from "react";
import { VMS } from "../api/operations";
import { Link } from "../router";
import { ErrorAlert } from "../ui/error-alert";
import { useQuery } from "../api/use-query";
import { filterVms, NO_VM_FILTER, type VmFilter } from "./vm-filter";
import { VmSourceText, VmStatusChip } from "./vm-labels";

/** Live: libvirt VMs change state on their own, so the list is re-read every few seconds. */
const REFRESH_MS = 5_000;

/** Every VM with where it comes from and its live state; each links to its disks. */
export function VmsPage() {
  const { data, error, loading, reload } = useQuery(VMS, undefined, REFRESH_MS);
  const all = data?.vms ?? null;
  const [filter, setFilter] = useState<VmFilter>(NO_VM_FILTER);
  const vms = all ? filterVms(all, filter) : null;
  const statuses = [...new Set((all ?? []).map((vm) => vm.status))].sort();
  return (
    <section className="page" aria-labelledby="vms-title">
      <div className="page-head">
        <h1 id="vms-title">Virtual machines</h1>
        <p className="muted small">VMs from libvirt follow their hypervisor live; names are unique per host only.</p>
        <div className="page-actions">
          <button type="button" className="button" onClick={reload} disabled={loading}>
            Refresh
          </button>
        </div>
      </div>
      {error && <ErrorAlert title="Could not load the VMs." error={error} onRetry={reload} />}
      <form className="filters" role="search" aria-label="Filter VMs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Name or host
          <input type="search" value={filter.text} onChange={(e) => setFilter({ ...filter, text: e.target.value })} />
        </label>
        <label>
          Source
          <select value={filter.source} onChange={(e) => setFilter({ ...filter, source: e.target.value as VmFilter["source"] })}>
            <option value="">All sources</option>
            <option value="LIBVIRT">libvirt</option>
            <option value="MANUAL">Manual</option>
          </select>
        </label>
        <label>
          State
          <select value={filter.status} onChange={(e) => setFilter({ ...filter, status: e.target.value as VmFilter["status"] })}>
            <option value="">All states</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s.charAt(0) + s.slice(1).toLowerCase().replaceAll("_", " ")}
              </option>
            ))}
          </select>
        </label>
        {all && vms && vms.length !== all.length && (
          <span className="muted small" role="status">
            {vms.length} of {all.length} VMs
          </span>
        )}
      </form>
      <div className="table-wrap" aria-busy={loading}>
        <table className="vms">
          <caption className="visually-hidden">Virtual machines</caption>
          <thead>
            <tr>
              <th scope="col">VM</th>
              <th scope="col">Source</th>
              <th scope="col">State</th>
              <th scope="col" className="num">
                Disks
              </th>
            </tr>
          </thead>
          <tbody>
            {vms?.length ? (
              vms.map((vm) => (
                <tr key={vm.id} data-vm={vm.name}>
                  <th scope="row">
                    <Link to={`/vm?id=${vm.id}`}>{vm.name}</Link>
                    {vm.host && <span className="muted small"> on {vm.host.name}</span>}
                  </th>
                  <td>
                    <VmSourceText vm={vm} />
                  </td>
                  <td>
                    <VmStatusChip status={vm.status} />
                  </td>
                  <td className="num">{vm.attachments.length}</td>
                </tr>
              ))
            ) : (
              <tr>
                <td colSpan={4} className="empty">
                  {!vms
                    ? "Loading VMs…"
                    : all?.length
                      ? "No VM matches the filter."
                      : "No VM yet: host workers report libvirt's domains, or an administrator adds one with addVm."}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
