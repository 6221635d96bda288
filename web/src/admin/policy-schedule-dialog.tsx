import { useId, useMemo, useRef, useState, type FormEvent } from "react";
import { REMOVE_SPARSIFY_SCHEDULE, SET_RECLAIM_POLICY, SET_SPARSIFY_SCHEDULE } from "../api/operations";
import type { StorageDomainDetails } from "../api/types";
import { useSession } from "../session";
import { Dialog } from "../ui/dialog";
import { ErrorAlert } from "../ui/error-alert";
import { previewCron } from "./cron-preview";
import { useMutation } from "../api/use-query";

const MiB = 1024 * 1024;

/** The next runs as the admin types, in words; an invalid expression says why instead. */
function CronPreviewList({ cron, timezone }: { cron: string; timezone: string }) {
  const preview = useMemo(() => previewCron(cron, { timezone, now: new Date(), count: 3 }), [cron, timezone]);
  if (!preview.ok) return <p className="field-error small">{preview.error}</p>;
  return (
    <ol className="small" aria-label="Next runs">
      {preview.runs.map((r) => (
        <li key={r.at.toISOString()}>
          <time dateTime={r.at.toISOString()}>{r.words}</time>, {r.relative}
        </li>
      ))}
    </ol>
  );
}

/** Sets the domain's reclaim policy and creates, replaces or removes its periodic sparsify. */
export function PolicyScheduleDialog({
  domain,
  onClose,
  onChanged,
}: {
  domain: StorageDomainDetails;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { api } = useSession();
  const id = useId();
  const closeRef = useRef<HTMLButtonElement>(null);
  const p = domain.reclaimPolicy;
  const s = domain.schedule;
  const [inherit, setInherit] = useState(p.inherited);
  const [minMiB, setMinMiB] = useState(String(Math.round(p.minReclaimableBytes / MiB)));
  const [minPercent, setMinPercent] = useState(String(Number((p.minReclaimableRatio * 100).toFixed(1))));
  const [cron, setCron] = useState(s?.cron ?? "0 2 * * 6");
  const [timezone, setTimezone] = useState(s?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC");
  const [windowStart, setWindowStart] = useState(s?.windowStart ?? "");
  const [windowEnd, setWindowEnd] = useState(s?.windowEnd ?? "");
  const [maxConcurrent, setMaxConcurrent] = useState(String(s?.maxConcurrent ?? 1));
  const [enabled, setEnabled] = useState(s?.enabled ?? true);
  const [saved, setSaved] = useState<string | null>(null);
  const { busy, error, run } = useMutation();

  const savePolicy = async (event: FormEvent) => {
    event.preventDefault();
    const policy = inherit
      ? { minReclaimableBytes: null, minReclaimableRatio: null }
      : { minReclaimableBytes: Math.round(Number(minMiB) * MiB), minReclaimableRatio: Number(minPercent) / 100 };
    if (await run(() => api.request(SET_RECLAIM_POLICY, { id: domain.id, policy }))) {
      setSaved("Policy saved.");
      onChanged();
    }
  };
  const saveSchedule = async (event: FormEvent) => {
    event.preventDefault();
    const schedule = {
      cron: cron.trim(),
      timezone,
      enabled,
      maxConcurrent: Number(maxConcurrent),
      windowStart: windowStart || null,
      windowEnd: windowEnd || null,
    };
    if (await run(() => api.request(SET_SPARSIFY_SCHEDULE, { id: domain.id, schedule }))) {
      setSaved("Schedule saved.");
      onChanged();
    }
  };
  const removeSchedule = async () => {
    if (await run(() => api.request(REMOVE_SPARSIFY_SCHEDULE, { id: domain.id }))) {
      setSaved("Schedule removed.");
      onChanged();
    }
  };

  return (
    <Dialog
      title={`Policy and schedule of ${domain.name}`}
      onClose={onClose}
      busy={busy}
      footer={
        <button type="button" className="button" ref={closeRef} onClick={onClose} disabled={busy}>
          Close
        </button>
      }
    >
      <form onSubmit={savePolicy} aria-label="Reclaim policy" className="stack">
        <h3 className="small">When a disk needs sparsifying</h3>
        <label className="check">
          <input type="checkbox" checked={inherit} onChange={(e) => setInherit(e.target.checked)} /> Use the gateway's default
        </label>
        <div className="admin-grid">
          <label className="field">
            <span className="field-label">At least (MiB)</span>
            <input type="number" min={0} step={1} value={minMiB} disabled={inherit} onChange={(e) => setMinMiB(e.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">and at least (% of actual size)</span>
            <input
              type="number"
              min={0}
              max={100}
              step={0.1}
              value={minPercent}
              disabled={inherit}
              onChange={(e) => setMinPercent(e.target.value)}
            />
          </label>
        </div>
        <button type="submit" className="button" disabled={busy}>
          Save policy
        </button>
      </form>
      <form onSubmit={saveSchedule} aria-label="Periodic sparsify" className="stack">
        <h3 className="small">Periodic sparsify {s ? "" : "(none yet)"}</h3>
        <div className="admin-grid">
          <label className="field">
            <span className="field-label">Cron expression</span>
            <input
              value={cron}
              onChange={(e) => setCron(e.target.value)}
              spellCheck={false}
              autoComplete="off"
              aria-describedby={`${id}-preview`}
            />
          </label>
          <label className="field">
            <span className="field-label">Time zone</span>
            <input value={timezone} onChange={(e) => setTimezone(e.target.value)} spellCheck={false} autoComplete="off" />
          </label>
          <label className="field">
            <span className="field-label">Window start (HH:MM)</span>
            <input type="time" value={windowStart} onChange={(e) => setWindowStart(e.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">Window end (HH:MM)</span>
            <input type="time" value={windowEnd} onChange={(e) => setWindowEnd(e.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">At most at once</span>
            <input type="number" min={1} step={1} value={maxConcurrent} onChange={(e) => setMaxConcurrent(e.target.value)} />
          </label>
          <label className="check">
            <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
          </label>
        </div>
        <div id={`${id}-preview`}>
          <CronPreviewList cron={cron} timezone={timezone} />
        </div>
        <div className="row-actions">
          <button type="submit" className="button" disabled={busy}>
            Save schedule
          </button>
          {s && (
            <button type="button" className="button button-danger" onClick={removeSchedule} disabled={busy}>
              Remove schedule
            </button>
          )}
        </div>
      </form>
      {error && <ErrorAlert title="Not saved." error={error} />}
      <p role="status" className="small">
        {saved}
      </p>
    </Dialog>
  );
}
