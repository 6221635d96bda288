import { useState } from "react";
import { isActive, type Job } from "../api/types";
import { formatCount, formatDateTime, formatDuration, formatRelative, phaseLabel } from "../format";
import { useSession } from "../session";
import { Bytes } from "../ui/bytes";
import { ErrorAlert } from "../ui/error-alert";
import { ProgressBar } from "../ui/progress-bar";
import { useNow } from "../ui/use-now";
import { ATTEMPT_HINT, attemptLabel } from "./attempt";
import { JobResult } from "./job-result";
import { StateBadge } from "./state-badge";
import { jobTiming } from "./timing";
import { useCancelJob } from "./use-cancel-job";
import { useJobHistory, type StateFilter } from "./use-job-history";
import { useWatchedJobs } from "./watched-jobs";

function JobRow({ job, now }: { job: Job; now: number }) {
  const { canSparsify } = useSession();
  const { watch } = useWatchedJobs();
  const { cancel, pending, error, clearError } = useCancelJob();
  const alias = job.disk?.alias ?? "a forgotten disk";
  const active = isActive(job.state);
  return (
    <>
      <tr data-job-id={job.id} data-state={job.state}>
        <td className="nowrap">
          <time dateTime={job.createdAt} title={formatDateTime(job.createdAt)}>
            {formatRelative(job.createdAt, now)}
          </time>
        </td>
        <td>{job.requestedBy}</td>
        <th scope="row">{alias}</th>
        <td>
          <StateBadge state={job.state} />
          {attemptLabel(job.attempts) && (
            <span className="chip chip-warn" title={ATTEMPT_HINT}>
              {attemptLabel(job.attempts)}
            </span>
          )}
        </td>
        <td className="col-progress">
          {active ? (
            <>
              <span className="small">
                {phaseLabel(job.phase)} {job.progress}%
              </span>
              <ProgressBar value={job.progress} label={`Progress of sparsifying ${alias}`} />
            </>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
        <td className="col-result">
          {active ? (
            <span className="muted">{job.host ? `Running on ${job.host}` : "Waiting for a host"}</span>
          ) : (
            <JobResult job={job} />
          )}
        </td>
        <td className="num">
          {job.reclaimedBytes === null ? <span className="muted">—</span> : <Bytes value={job.reclaimedBytes} />}
        </td>
        <td className="num nowrap">{formatDuration(jobTiming(job, now).ms)}</td>
        <td className="col-actions">
          <button type="button" className="link-button" onClick={() => watch([job.id])}>
            Follow<span className="visually-hidden"> the job of {alias}</span>
          </button>
          {active && canSparsify && (
            <button
              type="button"
              className="link-button danger"
              disabled={pending || !!job.cancelRequestedAt}
              onClick={() => void cancel(job.id)}
            >
              {job.cancelRequestedAt ? "Cancelling…" : "Cancel"}
              <span className="visually-hidden"> the job of {alias}</span>
            </button>
          )}
        </td>
      </tr>
      {error !== null && (
        <tr>
          <td colSpan={9}>
            <ErrorAlert title="Could not cancel." error={error} onDismiss={clearError} />
          </td>
        </tr>
      )}
    </>
  );
}

/** Every job, who asked for it, when, on which disk and how it ended; live. */
export function JobsPage() {
  const { api } = useSession();
  const [filter, setFilter] = useState<StateFilter>("ALL");
  const history = useJobHistory(api, filter);
  const now = useNow(true, 1000);
  return (
    <section className="page" aria-labelledby="jobs-title">
      <div className="page-head">
        <h1 id="jobs-title">Jobs</h1>
        <span className="muted" role="status">
          {formatCount(history.total)} {history.total === 1 ? "job" : "jobs"}
        </span>
      </div>
      <form className="filters" aria-label="Filter jobs" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label className="field-label" htmlFor="jobs-state">
            State
          </label>
          <select id="jobs-state" value={filter} onChange={(e) => setFilter(e.target.value as StateFilter)}>
            <option value="ALL">All jobs</option>
            <option value="ACTIVE">Queued or running</option>
            <option value="SUCCEEDED">Succeeded</option>
            <option value="FAILED">Failed</option>
            <option value="CANCELLED">Cancelled</option>
          </select>
        </div>
      </form>
      {history.error && <ErrorAlert title="Could not load the jobs." error={history.error} onRetry={history.reload} />}
      <div className="table-wrap" aria-busy={history.loading}>
        <table className="jobs">
          <caption className="visually-hidden">Sparsify jobs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Requested</th>
              <th scope="col">By</th>
              <th scope="col">Disk</th>
              <th scope="col">State</th>
              <th scope="col">Progress</th>
              <th scope="col">Result</th>
              <th scope="col" className="num">
                Reclaimed
              </th>
              <th scope="col" className="num">
                Duration
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {history.jobs.map((job) => (
              <JobRow key={job.id} job={job} now={now} />
            ))}
            {history.jobs.length === 0 && !history.loading && (
              <tr>
                <td colSpan={9} className="empty">
                  {filter === "ALL" ? "No job yet: select disks on the Disks page and press Sparsify." : "No job in this state."}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {history.hasNext && (
        <div className="load-more">
          <button type="button" className="button" onClick={history.loadMore} disabled={history.loading}>
            {history.loading ? "Loading…" : "Show older jobs"}
          </button>
        </div>
      )}
    </section>
  );
}
