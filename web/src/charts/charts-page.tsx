import { useId, useMemo, useState } from "react";
import { DISKS, DOMAIN_SIZES, RECLAIMED_OVER_TIME } from "../api/operations";
import type { Disk, TimeBucket } from "../api/types";
import { useQuery } from "../api/use-query";
import { SparsifyDialog } from "../disks/sparsify-dialog";
import { formatCount } from "../format";
import { useWatchedJobs } from "../jobs/watched-jobs";
import { useSession } from "../session";
import { Bytes } from "../ui/bytes";
import { ErrorAlert } from "../ui/error-alert";
import { ColumnChart } from "./column-chart";
import { PairBarChart } from "./pair-bar-chart";
import { bucketLabel, bucketStart, fillBuckets } from "./scale";

/** How far back each bucket size looks: about 30 columns, 26 weeks, 12 months. */
const SPAN: Record<Exclude<TimeBucket, "ALL">, { label: string; back: (now: Date) => Date }> = {
  DAY: { label: "Day", back: (now) => new Date(now.getTime() - 29 * 86_400_000) },
  WEEK: { label: "Week", back: (now) => new Date(now.getTime() - 25 * 7 * 86_400_000) },
  MONTH: { label: "Month", back: (now) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1)) },
};

function ReclaimedOverTime() {
  const id = useId();
  const [bucket, setBucket] = useState<Exclude<TimeBucket, "ALL">>("DAY");
  const [now] = useState(() => new Date());
  const since = bucketStart(SPAN[bucket].back(now), bucket).toISOString();
  const { data, error, reload } = useQuery(RECLAIMED_OVER_TIME, { bucket, since });
  const rows = useMemo(
    () => (data ? fillBuckets(data.reclaimedTotals, bucket, new Date(since), now) : []),
    [data, bucket, since, now],
  );
  const columns = useMemo(
    () => rows.map((r) => ({ label: bucketLabel(r.bucketStart, bucket), value: r.reclaimedBytes })),
    [rows, bucket],
  );
  const total = rows.reduce((sum, r) => sum + r.reclaimedBytes, 0);
  return (
    <section className="chart-card" aria-labelledby={`${id}-title`}>
      <div className="chart-head">
        <h2 id={`${id}-title`}>Reclaimed over time</h2>
        <div className="segmented" role="group" aria-label="Bucket size">
          {(Object.keys(SPAN) as (keyof typeof SPAN)[]).map((b) => (
            <button key={b} type="button" className="button" aria-pressed={bucket === b} onClick={() => setBucket(b)}>
              {SPAN[b].label}
            </button>
          ))}
        </div>
      </div>
      {error && <ErrorAlert error={error} onRetry={reload} />}
      <p className="small muted">
        <Bytes value={total} signed /> reclaimed in {formatCount(rows.reduce((n, r) => n + r.jobs, 0))} finished job(s) since{" "}
        {bucketLabel(since, bucket)} (UTC).
      </p>
      <ColumnChart label={`Bytes reclaimed per ${bucket.toLowerCase()}`} columns={columns} />
      <details>
        <summary>Show the numbers</summary>
        <table className="chart-table">
          <caption className="visually-hidden">Bytes reclaimed per {bucket.toLowerCase()}</caption>
          <thead>
            <tr>
              <th scope="col">{SPAN[bucket].label}</th>
              <th scope="col" className="num">
                Reclaimed
              </th>
              <th scope="col" className="num">
                Jobs
              </th>
            </tr>
          </thead>
          <tbody>
            {rows
              .filter((r) => r.jobs)
              .map((r) => (
                <tr key={r.bucketStart}>
                  <th scope="row">{bucketLabel(r.bucketStart, bucket)}</th>
                  <td className="num">
                    <Bytes value={r.reclaimedBytes} signed />
                  </td>
                  <td className="num">{formatCount(r.jobs)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}

function DomainSizes() {
  const id = useId();
  const { data, error, reload } = useQuery(DOMAIN_SIZES);
  const domains = useMemo(() => (data ? [...data.storageDomains].sort((a, b) => a.name.localeCompare(b.name)) : []), [data]);
  const pairs = useMemo(
    () => domains.map((d) => ({ label: d.name, outer: d.virtualSizeTotal, inner: d.actualSizeTotal })),
    [domains],
  );
  return (
    <section className="chart-card" aria-labelledby={`${id}-title`}>
      <div className="chart-head">
        <h2 id={`${id}-title`}>Actual against virtual size, by storage domain</h2>
      </div>
      {error && <ErrorAlert error={error} onRetry={reload} />}
      <PairBarChart label="Actual and virtual size per storage domain" outerName="virtual" innerName="actual" rows={pairs} />
      <details>
        <summary>Show the numbers</summary>
        <table className="chart-table">
          <caption className="visually-hidden">Sizes per storage domain</caption>
          <thead>
            <tr>
              <th scope="col">Domain</th>
              <th scope="col" className="num">
                Disks
              </th>
              <th scope="col" className="num">
                Virtual
              </th>
              <th scope="col" className="num">
                Actual
              </th>
              <th scope="col" className="num">
                Reclaimable
              </th>
            </tr>
          </thead>
          <tbody>
            {domains.map((d) => (
              <tr key={d.id} data-domain={d.name}>
                <th scope="row">{d.name}</th>
                <td className="num">{formatCount(d.diskCount)}</td>
                <td className="num">
                  <Bytes value={d.virtualSizeTotal} />
                </td>
                <td className="num">
                  <Bytes value={d.actualSizeTotal} />
                </td>
                <td className="num">
                  <Bytes value={d.reclaimableTotal} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}

/** The ten disks with the most to reclaim; operators select some and sparsify them in one request. */
function TopReclaimable() {
  const id = useId();
  const { canSparsify } = useSession();
  const { watch } = useWatchedJobs();
  const { data, error, reload } = useQuery(DISKS, { first: 10, orderBy: { field: "RECLAIMABLE", direction: "DESC" } });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState<Disk[] | null>(null);
  const disks = (data?.disks.edges.map((e) => e.node) ?? []).filter((d) => (d.reclaimableEstimate ?? 0) > 0);
  const max = Math.max(1, ...disks.map((d) => d.reclaimableEstimate ?? 0));
  const chosen = disks.filter((d) => selected.has(d.id));
  return (
    <section className="chart-card" aria-labelledby={`${id}-title`}>
      <div className="chart-head">
        <h2 id={`${id}-title`}>Top reclaimable disks</h2>
        {canSparsify && (
          <button type="button" className="button button-primary" disabled={!chosen.length} onClick={() => setConfirming(chosen)}>
            Sparsify{chosen.length === 1 ? " 1 disk" : chosen.length ? ` ${chosen.length} disks` : ""}…
          </button>
        )}
      </div>
      {error && <ErrorAlert error={error} onRetry={reload} />}
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Top reclaimable disks table">
        <table className="top-disks">
          <caption className="visually-hidden">The disks with the most reclaimable space, largest first</caption>
          <thead>
            <tr>
              {canSparsify && (
                <th scope="col">
                  <span className="visually-hidden">Select</span>
                </th>
              )}
              <th scope="col">Disk</th>
              <th scope="col" className="num">
                Reclaimable (estimate)
              </th>
              <th scope="col" className="col-bar">
                <span className="visually-hidden">Share of the largest</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {disks.length ? (
              disks.map((d) => (
                <tr key={d.id} data-alias={d.alias}>
                  {canSparsify && (
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select ${d.alias}`}
                        disabled={!d.sparsifiable}
                        checked={selected.has(d.id)}
                        onChange={(e) => {
                          const next = new Set(selected);
                          if (e.target.checked) next.add(d.id);
                          else next.delete(d.id);
                          setSelected(next);
                        }}
                      />
                    </td>
                  )}
                  <th scope="row">
                    {d.alias} <span className="muted small">{d.storageDomain.name}</span>
                  </th>
                  <td className="num">
                    <Bytes value={d.reclaimableEstimate} />
                  </td>
                  <td className="col-bar">
                    <svg className="inline-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                      <rect width={Math.max(1, ((d.reclaimableEstimate ?? 0) / max) * 100)} height={10} className="chart-bar" />
                    </svg>
                  </td>
                </tr>
              ))
            ) : (
              <tr>
                <td colSpan={canSparsify ? 4 : 3} className="empty">
                  {data
                    ? "No disk has an estimate of reclaimable space yet (an admin runs an estimate from the domain)."
                    : "Loading…"}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {confirming && (
        <SparsifyDialog
          disks={confirming}
          onClose={() => setConfirming(null)}
          onStarted={(jobs) => {
            watch(jobs);
            setSelected(new Set());
            reload();
          }}
        />
      )}
    </section>
  );
}

/** Pictures of the fleet: what was reclaimed, how full each domain is, where to reclaim next. */
export function ChartsPage() {
  return (
    <section className="page" aria-labelledby="charts-title">
      <div className="page-head">
        <h1 id="charts-title">Charts</h1>
      </div>
      <div className="chart-grid-layout">
        <ReclaimedOverTime />
        <DomainSizes />
        <TopReclaimable />
      </div>
    </section>
  );
}
