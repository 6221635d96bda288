import { HOSTS, SET_HOST_MAINTENANCE } from "../api/operations";
import type { Host } from "../api/types";
import { formatCount, formatDateTime, formatRelative } from "../format";
import { useSession } from "../session";
import { ErrorAlert } from "../ui/error-alert";
import { useNow } from "../ui/use-now";
import { AdminOnlyNote, useIsAdmin } from "./admin-only";
import { useMutation, useQuery } from "../api/use-query";

function MaintenanceToggle({ host, onChanged }: { host: Host; onChanged: () => void }) {
  const { api } = useSession();
  const { busy, error, run, clear } = useMutation();
  const toggle = async () => {
    if (await run(() => api.request(SET_HOST_MAINTENANCE, { id: host.id, on: !host.maintenance }))) onChanged();
  };
  return (
    <>
      <button type="button" className="button" aria-pressed={host.maintenance} onClick={toggle} disabled={busy}>
        {host.maintenance ? `End maintenance of ${host.name}` : `Put ${host.name} in maintenance`}
      </button>
      {error && <ErrorAlert error={error} onDismiss={clear} />}
    </>
  );
}

/**
 * Hosts are re-read at the pace the heartbeat age is redrawn: an age computed from a stale answer
 * would grow forever and the Online badge would never turn to Offline (or back) without Refresh.
 */
const REFRESH_MS = 10_000;

/** The host workers: what they can do, whether they are alive, and a drain switch for admins. */
export function HostsPage() {
  const { data, error, loading, reload } = useQuery(HOSTS, undefined, REFRESH_MS);
  const admin = useIsAdmin();
  const now = useNow(true, REFRESH_MS);
  const hosts = data ? [...data.hosts].sort((a, b) => a.name.localeCompare(b.name)) : null;
  return (
    <section className="page" aria-labelledby="hosts-title">
      <div className="page-head">
        <h1 id="hosts-title">Hosts</h1>
        <div className="page-actions">
          <button type="button" className="button" onClick={reload} disabled={loading}>
            Refresh
          </button>
        </div>
      </div>
      {!admin && <AdminOnlyNote what="maintenance (and seeing tool versions)" />}
      {error && <ErrorAlert title="Could not load the hosts." error={error} onRetry={reload} />}
      <div className="table-wrap" aria-busy={loading} tabIndex={0} role="region" aria-label="Hosts table">
        <table className="hosts">
          <caption className="visually-hidden">Host workers by name</caption>
          <thead>
            <tr>
              <th scope="col">Host</th>
              <th scope="col">State</th>
              <th scope="col">Heartbeat</th>
              <th scope="col">Capabilities</th>
              <th scope="col" className="num">
                Concurrency
              </th>
              <th scope="col">Maintenance</th>
            </tr>
          </thead>
          <tbody>
            {hosts?.length ? (
              hosts.map((h) => (
                <tr key={h.id} data-host={h.name}>
                  <th scope="row">{h.name}</th>
                  <td>
                    <span className={`badge ${h.online ? "badge-ok" : "badge-blocked"}`}>{h.online ? "Online" : "Offline"}</span>{" "}
                    {h.maintenance && <span className="chip chip-warn">maintenance</span>}
                  </td>
                  <td className="small">
                    <time dateTime={h.heartbeatAt} title={formatDateTime(h.heartbeatAt)}>
                      {formatRelative(h.heartbeatAt, now)}
                    </time>
                  </td>
                  <td className="small">
                    {h.accel === "KVM" ? "KVM" : `${h.accel} (software emulation, slower)`}; appliance{" "}
                    {h.applianceReady ? "ready" : "not ready"}
                    {h.virtSparsifyVersion && <div className="muted">virt-sparsify {h.virtSparsifyVersion}</div>}
                    {h.qemuVersion && <div className="muted">qemu {h.qemuVersion}</div>}
                    <div className="muted">sees {formatCount(h.storageDomainIds.length)} storage domain(s)</div>
                    <div
                      className={h.libvirt.state === "UNREACHABLE" ? "warn" : "muted"}
                      title={h.libvirt.message ?? undefined}
                      data-libvirt={h.libvirt.state}
                    >
                      libvirt{" "}
                      {h.libvirt.state === "CONNECTED"
                        ? `connected (${h.libvirt.uri})`
                        : h.libvirt.state === "UNREACHABLE"
                          ? `unreachable: its disks are blocked`
                          : "off"}
                    </div>
                  </td>
                  <td className="num">{formatCount(h.concurrency)}</td>
                  <td>{admin ? <MaintenanceToggle host={h} onChanged={reload} /> : h.maintenance ? "On" : "Off"}</td>
                </tr>
              ))
            ) : (
              <tr>
                <td colSpan={6} className="empty">
                  {hosts ? "No host worker has reported yet: start one with npm run start:worker." : "Loading hosts…"}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
