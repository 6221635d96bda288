import { VMS } from "../api/operations";
import { Link } from "../router";
import { ErrorAlert } from "../ui/error-alert";
import { useQuery } from "./use-query";
import { VmSourceText, VmStatusChip } from "./vm-labels";

/** Live: libvirt VMs change state on their own, so the list is re-read every few seconds. */
const REFRESH_MS = 5_000;

/** Every VM with where it comes from and its live state; each links to its disks. */
export function VmsPage() {
  const { data, error, loading, reload } = useQuery(VMS, undefined, REFRESH_MS);
  const vms = data?.vms ?? null;
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
                  {vms ? "No VM yet: host workers report libvirt's domains, or an administrator adds one with addVm." : "Loading VMs…"}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
