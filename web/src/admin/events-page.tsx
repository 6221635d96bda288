import { useId, useState, type FormEvent } from "react";
import { EVENTS } from "../api/operations";
import { formatCount, formatDateTime } from "../format";
import { useSearchParams } from "../router";
import { ErrorAlert } from "../ui/error-alert";
import { parseTypes } from "./admin-words";
import { useQuery } from "../api/use-query";

const PAGE_SIZE = 25;
/** Suggestions only: the gateway records more types, and the field takes any. */
const KNOWN_TYPES = [
  "JOB_QUEUED",
  "JOB_STARTED",
  "JOB_SUCCEEDED",
  "JOB_FAILED",
  "JOB_CANCEL_REQUESTED",
  "JOB_CANCELLED",
  "JOB_REQUEUED",
  "JOB_RETRIED",
  "SCAN_FINISHED",
  "SCAN_FAILED",
  "ESTIMATE_FINISHED",
  "STORAGE_DOMAIN_ADDED",
  "STORAGE_DOMAIN_ACTIVATED",
  "STORAGE_DOMAIN_DEACTIVATED",
  "STORAGE_DOMAIN_REMOVED",
  "RECLAIM_POLICY_SET",
  "SCHEDULE_SET",
  "SCHEDULE_REMOVED",
  "SCHEDULE_DISK_SKIPPED",
  "TOKEN_CREATED",
  "TOKEN_REVOKED",
  "DISK_ATTACHED",
  "DISK_DETACHED",
  "DISK_FORGOTTEN",
  "LOCK_RELEASED",
];

/** The audit trail, newest first: filters by type, disk and job (kept in the address), pages by cursor. */
export function EventsPage() {
  const id = useId();
  const [params, setParams] = useSearchParams();
  const type = params.get("type") ?? "";
  const disk = params.get("disk") ?? "";
  const job = params.get("job") ?? "";
  const [draft, setDraft] = useState({ type, disk, job });
  // Cursors of the pages before this one: Previous pops, Next pushes.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const types = parseTypes(type);
  const filter = { ...(types.length ? { types } : {}), ...(disk ? { diskId: disk } : {}), ...(job ? { jobId: job } : {}) };
  const { data, error, loading, reload } = useQuery(EVENTS, { first: PAGE_SIZE, after, filter });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setCursors([null]);
    setParams({ type: draft.type.trim(), disk: draft.disk.trim(), job: draft.job.trim() });
  };
  const events = data?.events;
  const from = (cursors.length - 1) * PAGE_SIZE;
  return (
    <section className="page" aria-labelledby="events-title">
      <div className="page-head">
        <h1 id="events-title">Audit trail</h1>
        <div className="page-actions">
          <button type="button" className="button" onClick={reload} disabled={loading}>
            Refresh
          </button>
        </div>
      </div>
      <form className="filters" role="search" aria-label="Filter events" onSubmit={apply}>
        <div className="field field-grow">
          <label className="field-label" htmlFor={`${id}-type`}>
            Types (comma-separated)
          </label>
          <input
            id={`${id}-type`}
            list={`${id}-types`}
            value={draft.type}
            onChange={(e) => setDraft({ ...draft, type: e.target.value })}
            autoComplete="off"
            spellCheck={false}
            placeholder="e.g. JOB_FAILED"
          />
          <datalist id={`${id}-types`}>
            {KNOWN_TYPES.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-disk`}>
            Disk id
          </label>
          <input
            id={`${id}-disk`}
            value={draft.disk}
            onChange={(e) => setDraft({ ...draft, disk: e.target.value })}
            autoComplete="off"
            spellCheck={false}
          />
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-job`}>
            Job id
          </label>
          <input
            id={`${id}-job`}
            value={draft.job}
            onChange={(e) => setDraft({ ...draft, job: e.target.value })}
            autoComplete="off"
            spellCheck={false}
          />
        </div>
        <div className="field">
          <button type="submit" className="button button-primary">
            Apply filters
          </button>
        </div>
      </form>
      {error && <ErrorAlert title="Could not load the events." error={error} onRetry={reload} />}
      <div className="table-wrap" aria-busy={loading} tabIndex={0} role="region" aria-label="Events table">
        <table className="events">
          <caption className="visually-hidden">Audit events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Type</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
            </tr>
          </thead>
          <tbody>
            {events?.edges.length ? (
              events.edges.map(({ node: e }) => (
                <tr key={e.id} data-event={e.type}>
                  <td className="small nowrap">
                    <time dateTime={e.createdAt}>{formatDateTime(e.createdAt)}</time>
                  </td>
                  <td className="small code">{e.type}</td>
                  <td className="small">{e.actor}</td>
                  <td className="small">
                    {e.message}
                    {(e.diskId || e.jobId) && (
                      <div className="muted code">
                        {e.diskId && `disk ${e.diskId}`} {e.jobId && `job ${e.jobId}`}
                      </div>
                    )}
                  </td>
                </tr>
              ))
            ) : (
              <tr>
                <td colSpan={4} className="empty">
                  {events ? "No event matches these filters." : "Loading events…"}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Pages of events">
        <span className="pager-range" role="status">
          {events
            ? events.totalCount === 0
              ? "No events"
              : `${formatCount(from + 1)}–${formatCount(from + events.edges.length)} of ${formatCount(events.totalCount)} events`
            : ""}
        </span>
        <span className="pager-buttons">
          <button
            type="button"
            className="button"
            onClick={() => setCursors(cursors.slice(0, -1))}
            disabled={cursors.length === 1}
          >
            Previous
          </button>
          <button
            type="button"
            className="button"
            onClick={() => events && setCursors([...cursors, events.pageInfo.endCursor ?? null])}
            disabled={!events?.pageInfo.hasNextPage}
          >
            Next
          </button>
        </span>
      </nav>
    </section>
  );
}
