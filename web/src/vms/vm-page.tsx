import { useState } from "react";
import { VM } from "../api/operations";
import type { Disk } from "../api/types";
import { plural } from "../disks/disk-labels";
import { SparsifyDialog } from "../disks/sparsify-dialog";
import { humanise } from "../format";
import { useWatchedJobs } from "../jobs/watched-jobs";
import { Link, useSearchParams } from "../router";
import { hasRole, useSession } from "../session";
import { Bytes } from "../ui/bytes";
import { ErrorAlert } from "../ui/error-alert";
import { useQuery } from "../api/use-query";
import { VmJobHistory } from "./vm-job-history";
import { VmSourceText, VmStatusChip } from "./vm-labels";

const REFRESH_MS = 3_000;

function DiskVerdict({ disk }: { disk: Disk }) {
  if (disk.sparsifiable) return <span className="badge badge-ok">Sparsifiable</span>;
  return (
    <>
      <span className="badge badge-blocked">Blocked</span>
      <ul className="reasons small">
        {disk.sparsifyBlockers.map((b, i) => (
          <li key={i} data-code={b.code}>
            {b.message}
          </li>
        ))}
      </ul>
    </>
  );
}

/** One VM: source, live state, and its disks with the Sparsify action (the VM → Disks → Sparsify path). */
export function VmPage() {
  const [params] = useSearchParams();
  const id = params.get("id") ?? "";
  const { canSparsify, me } = useSession();
  // Host paths are for admins only (the API returns null to others): say so rather than "no source".
  const sourceOf = (source: string | null | undefined) =>
    source ?? (hasRole(me.role, "ADMIN") ? "no source" : "path shown to admins only");
  const { watch } = useWatchedJobs();
  const [confirming, setConfirming] = useState<Disk[] | null>(null);
  const { data, error, loading, reload } = useQuery(VM, { id }, REFRESH_MS);
  const vm = data?.vm;
  const unmapped = vm?.disks.filter((d) => !d.diskId) ?? [];
  return (
    <section className="page" aria-labelledby="vm-title">
      <div className="page-head">
        <p className="small">
          <Link to="/vms">← All VMs</Link>
        </p>
        <h1 id="vm-title">{vm ? vm.name : "VM"}</h1>
        {vm && (
          <p className="vm-facts">
            <VmStatusChip status={vm.status} /> <VmSourceText vm={vm} />
            {vm.libvirtUuid && <span className="muted small code"> UUID {vm.libvirtUuid}</span>}
          </p>
        )}
      </div>
      {error && <ErrorAlert title="Could not load the VM." error={error} onRetry={reload} />}
      <div className="table-wrap" aria-busy={loading}>
        <table className="vm-disks">
          <caption>{vm ? plural(vm.attachments.length, "disk") : "Disks"}</caption>
          <thead>
            <tr>
              <th scope="col">Disk</th>
              <th scope="col">Device</th>
              <th scope="col" className="num">
                Actual size
              </th>
              <th scope="col">Sparsify?</th>
              <th scope="col">
                <span className="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {vm?.attachments.length ? (
              vm.attachments.map((a) => (
                <tr key={a.id} data-alias={a.disk.alias}>
                  <th scope="row">
                    {a.disk.alias}
                    <div className="muted small">
                      {a.disk.storageDomain.name} · {a.disk.format.toLowerCase()}
                    </div>
                  </th>
                  <td className="small">
                    {a.targetDev ?? "—"}
                    {a.driverType && <span className="muted"> ({a.driverType})</span>}
                    {!a.plugged && <span className="chip"> unplugged</span>}
                    {a.readOnly && <span className="chip"> read-only</span>}
                    {a.shareable && <span className="chip"> shareable</span>}
                  </td>
                  <td className="num">
                    <Bytes value={a.disk.actualSize} />
                  </td>
                  <td className="col-status">
                    <DiskVerdict disk={a.disk} />
                  </td>
                  <td>
                    {canSparsify && (
                      <button
                        type="button"
                        className="button button-primary"
                        disabled={!a.disk.sparsifiable}
                        onClick={() => setConfirming([a.disk])}
                      >
                        Sparsify
                      </button>
                    )}
                  </td>
                </tr>
              ))
            ) : (
              <tr>
                <td colSpan={5} className="empty">
                  {vm ? "No disk of this VM is in the inventory." : "Loading…"}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {id && <VmJobHistory vmId={id} every={REFRESH_MS} />}
      {unmapped.length > 0 && (
        <div className="small">
          <h2>Not in the inventory</h2>
          <ul>
            {unmapped.map((d, i) => (
              <li key={i}>
                {d.target ?? "?"} ({humanise(d.device)}): <span className="code">{sourceOf(d.source)}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {confirming && (
        <SparsifyDialog
          disks={confirming}
          onClose={() => setConfirming(null)}
          onStarted={(jobs) => {
            watch(jobs);
            reload();
          }}
        />
      )}
    </section>
  );
}
