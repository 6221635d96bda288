import { useCallback, useEffect, useState } from "react";
import { asApiError, type ApiError } from "../api/errors";
import { STORAGE_DOMAIN_DETAILS } from "../api/operations";
import type { ReclaimPolicy, SparsifySchedule, StorageDomainDetails } from "../api/types";
import { formatCount, formatDateTime, formatRelative, humanise } from "../format";
import { useSession } from "../session";
import { Bytes } from "../ui/bytes";
import { ErrorAlert } from "../ui/error-alert";
import { useNow } from "../ui/use-now";
import { AddDomainForm } from "../admin/add-domain-form";
import { AdminOnlyNote, useIsAdmin } from "../admin/admin-only";
import { DomainActions } from "../admin/domain-actions";

const count = (list: unknown) => (Array.isArray(list) ? list.length : 0);
const percent = (ratio: number) => `${Number((ratio * 100).toFixed(1))}%`;

function PolicyText({ policy }: { policy: ReclaimPolicy }) {
  return (
    <>
      {policy.inherited && (
        <>
          <span className="chip">default</span>{" "}
        </>
      )}
      At least <Bytes value={policy.minReclaimableBytes} /> and {percent(policy.minReclaimableRatio)} of the disk's actual size
    </>
  );
}

/** "cron `0 2 * * 6` (Europe/Paris), window 22:00–04:00, up to 2 at once; last run …: 3 started, 1 skipped". */
function ScheduleText({ schedule, now }: { schedule: SparsifySchedule | null; now: number }) {
  if (!schedule) return <span className="muted">No schedule</span>;
  const s = schedule;
  const window = s.windowStart && s.windowEnd ? `window ${s.windowStart}–${s.windowEnd}` : "any time";
  const limit = s.maxConcurrent === 1 ? "one at a time" : `up to ${formatCount(s.maxConcurrent)} at once`;
  const summary = s.lastRunSummary;
  return (
    <>
      {!s.enabled && (
        <>
          <span className="chip chip-warn">paused</span>{" "}
        </>
      )}
      cron <code>{s.cron}</code> ({s.timezone}), {window}, {limit};{" "}
      {s.lastRunAt ? (
        <>
          last run{" "}
          <time dateTime={s.lastRunAt} title={formatDateTime(s.lastRunAt)}>
            {formatRelative(s.lastRunAt, now)}
          </time>
          :{" "}
          {summary && summary.ran === false && summary.reason
            ? `skipped, ${summary.reason}`
            : `${formatCount(count(summary?.started))} started, ${formatCount(count(summary?.skipped))} skipped` +
              (count(summary?.deferred) ? `, ${formatCount(count(summary?.deferred))} deferred` : "")}
        </>
      ) : (
        "not run yet"
      )}
    </>
  );
}

function ScanText({ domain, now }: { domain: StorageDomainDetails; now: number }) {
  if (domain.scanState === "SCANNING" || domain.scanState === "QUEUED") return <>{humanise(domain.scanState)}…</>;
  if (domain.scanState === "FAILED") return <>Last scan failed</>;
  if (!domain.lastScannedAt) return <>Not scanned yet</>;
  return (
    <>
      Scanned{" "}
      <time dateTime={domain.lastScannedAt} title={formatDateTime(domain.lastScannedAt)}>
        {formatRelative(domain.lastScannedAt, now)}
      </time>
    </>
  );
}

function useDomains() {
  const { api } = useSession();
  const [domains, setDomains] = useState<StorageDomainDetails[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    api.request(STORAGE_DOMAIN_DETAILS, undefined, controller.signal).then(
      (d) => {
        setDomains([...d.storageDomains].sort((a, b) => a.name.localeCompare(b.name)));
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (controller.signal.aborted) return;
        setError(asApiError(e));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [api, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { domains, error, loading, reload };
}

/** Each storage domain: status, what could be reclaimed, when a disk needs sparsifying, and its schedule. */
export function DomainsPage() {
  const { domains, error, loading, reload } = useDomains();
  const now = useNow(true, 30_000);
  const admin = useIsAdmin();
  return (
    <section className="page" aria-labelledby="domains-title">
      <div className="page-head">
        <h1 id="domains-title">Storage domains</h1>
        <div className="page-actions">
          <button type="button" className="button" onClick={reload} disabled={loading}>
            Refresh
          </button>
        </div>
      </div>
      {admin ? (
        <AddDomainForm onAdded={reload} />
      ) : (
        <AdminOnlyNote what="adding, scanning, removing a domain or changing its policy and schedule" />
      )}
      {error && <ErrorAlert title="Could not load the storage domains." error={error} onRetry={reload} />}
      <div className="table-wrap" aria-busy={loading} tabIndex={0} role="region" aria-label="Storage domains table">
        <table className="domains">
          <caption className="visually-hidden">Storage domains by name</caption>
          <thead>
            <tr>
              <th scope="col">Domain</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Reclaimable
              </th>
              <th scope="col">Needs sparsify when</th>
              <th scope="col">Schedule</th>
              <th scope="col">Method</th>
              {admin && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {domains?.length ? (
              domains.map((d) => (
                <tr key={d.id} data-domain={d.name}>
                  <th scope="row">
                    {d.name}
                    <div className="muted small code">{d.path}</div>
                  </th>
                  <td className="col-status">
                    <span className={`badge ${d.status === "ACTIVE" ? "badge-ok" : "badge-blocked"}`}>{humanise(d.status)}</span>
                    {d.statusReason && <div className="small">{d.statusReason}</div>}
                    <div className="muted small">
                      <ScanText domain={d} now={now} />
                    </div>
                  </td>
                  <td className="num">
                    <span className="muted" aria-hidden="true">
                      ~
                    </span>
                    <span className="visually-hidden">about </span>
                    <Bytes value={d.reclaimableTotal} />
                  </td>
                  <td className="small col-policy">
                    <PolicyText policy={d.reclaimPolicy} />
                  </td>
                  <td className="small col-schedule">
                    <ScheduleText schedule={d.schedule} now={now} />
                  </td>
                  <td className="small col-method">
                    {d.sparsifyMethod === "DIRECT"
                      ? `DIRECT (verified ${d.directVerify === "FULL" ? "in full" : "by fsck and maps"})`
                      : "virt-sparsify"}
                  </td>
                  {admin && (
                    <td className="col-actions">
                      <DomainActions domain={d} onChanged={reload} />
                    </td>
                  )}
                </tr>
              ))
            ) : (
              <tr>
                <td colSpan={admin ? 7 : 6} className="empty">
                  {domains ? "No storage domain yet: an administrator adds one here." : "Loading storage domains…"}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
