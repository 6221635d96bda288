import { useId } from "react";
import { isActive, type Job } from "../api/types";
import { formatDuration, phaseLabel } from "../format";
import { useSession } from "../session";
import { ErrorAlert } from "../ui/error-alert";
import { ProgressBar } from "../ui/progress-bar";
import { useNow } from "../ui/use-now";
import { ATTEMPT_HINT, attemptLabel } from "./attempt";
import { JobResult } from "./job-result";
import { StateBadge } from "./state-badge";
import { jobTiming } from "./timing";
import { useCancelJob } from "./use-cancel-job";
import { useJob } from "./use-job";

/** One job, live: phase, progress, elapsed time and Cancel; at the end, its result in words. */
export function JobCard({ id, seed, onDismiss }: { id: string; seed?: Job; onDismiss: () => void }) {
  const { api, canSparsify } = useSession();
  const { job, error } = useJob(api, id, seed);
  const active = job ? isActive(job.state) : true;
  const now = useNow(active);
  const { cancel, pending, error: cancelError, clearError } = useCancelJob();
  const titleId = useId();
  const alias = job?.disk?.alias ?? "a forgotten disk";
  const timing = job ? jobTiming(job, now) : null;
  const tone =
    job?.state === "SUCCEEDED"
      ? "done"
      : job?.state === "FAILED"
        ? "failed"
        : job?.state === "CANCELLED"
          ? "cancelled"
          : "active";

  return (
    <article
      className={`job-card job-card-${tone}`}
      aria-labelledby={titleId}
      data-job-id={id}
      data-state={job?.state ?? "LOADING"}
    >
      <header className="job-card-head">
        <h3 id={titleId} className="job-card-title">
          {job ? alias : "Loading job…"}
        </h3>
        {job && <StateBadge state={job.state} />}
        {(!active || error) && (
          <button
            type="button"
            className="icon-button"
            onClick={onDismiss}
            aria-label={`Dismiss the job of ${alias}`}
            title="Dismiss"
          >
            ×
          </button>
        )}
      </header>
      {job && (
        <>
          <div className="job-card-phase">
            <span>{phaseLabel(job.phase)}</span>
            <span className="num">{job.progress}%</span>
          </div>
          <ProgressBar value={job.progress} tone={tone} label={`Progress of sparsifying ${alias}`} />
          <div className="job-card-meta">
            {timing && (
              <span>
                {timing.label} <span className="num">{formatDuration(timing.ms)}</span>
              </span>
            )}
            {job.host && <span>on {job.host}</span>}
            {attemptLabel(job.attempts) && (
              <span className="chip chip-warn" title={ATTEMPT_HINT} data-testid="job-attempt">
                {attemptLabel(job.attempts)}
              </span>
            )}
            <span>by {job.requestedBy}</span>
          </div>
          <div aria-live="polite">{!active && <JobResult job={job} />}</div>
          {active && canSparsify && (
            <div className="job-card-actions">
              <button
                type="button"
                className="button button-danger"
                disabled={pending || !!job.cancelRequestedAt}
                onClick={() => void cancel(id)}
              >
                {job.cancelRequestedAt ? "Cancelling…" : `Cancel`}
                <span className="visually-hidden"> sparsifying {alias}</span>
              </button>
            </div>
          )}
        </>
      )}
      {cancelError !== null && <ErrorAlert title="Could not cancel." error={cancelError} onDismiss={clearError} />}
      {error && <ErrorAlert title="Cannot follow this job." error={error} />}
    </article>
  );
}
