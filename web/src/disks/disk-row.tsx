import { useId } from "react";
import { isActive, type Disk, type Job } from "../api/types";
import { humanise, phaseLabel } from "../format";
import { Bytes } from "../ui/bytes";
import { Link } from "../router";
import { ProgressBar } from "../ui/progress-bar";
import { SizeBar } from "../ui/size-bar";
import { DiskDetails } from "./disk-details";
import { EstimateCell } from "./estimate-cell";
import { diskStatusLabel, formatLabel, plural, vmStatusTone } from "./disk-labels";
import { reclaimHint } from "./reclaim-hint";

export interface DiskRowProps {
  disk: Disk;
  /** The newest event of this disk's job, fresher than the row until the page refetches. */
  liveJob?: Job;
  selectable: boolean;
  selected: boolean;
  expanded: boolean;
  columns: number;
  /** Show the reclaim-estimate column. */
  estimates: boolean;
  onSelect: (disk: Disk, on: boolean) => void;
  onToggle: (disk: Disk) => void;
  onSparsify: (disk: Disk) => void;
}

export function DiskRow({
  disk,
  liveJob,
  selectable,
  selected,
  expanded,
  columns,
  estimates,
  onSelect,
  onToggle,
  onSparsify,
}: DiskRowProps) {
  const detailsId = useId();
  const last = disk.lastSparsifyJob;
  // An event is fresher than the row for the same job; a finished job's event must not hide a newer one.
  const current = liveJob && (!last || liveJob.id === last.id || isActive(liveJob.state)) ? liveJob : last;
  const job = current && isActive(current.state) ? current : null;
  const blocked = !disk.sparsifiable;
  const toggleLabel = job
    ? "Details"
    : blocked
      ? `Why? ${plural(disk.sparsifyBlockers.length, "reason")}`
      : disk.sparsifyWarnings.length
        ? plural(disk.sparsifyWarnings.length, "warning")
        : "Details";
  return (
    <>
      <tr
        className={`${selected ? "selected" : ""}${expanded ? " expanded" : ""}`}
        data-disk-id={disk.id}
        data-alias={disk.alias}
      >
        {selectable && (
          <td className="col-select">
            <input
              type="checkbox"
              checked={selected}
              disabled={blocked}
              onChange={(e) => onSelect(disk, e.target.checked)}
              aria-label={
                blocked
                  ? `${disk.alias} cannot be sparsified: ${disk.sparsifyBlockers.map((b) => b.message).join("; ")}`
                  : `Select ${disk.alias}`
              }
              title={blocked ? disk.sparsifyBlockers.map((b) => b.message).join("\n") : undefined}
            />
          </td>
        )}
        <th scope="row" className="col-alias">
          {disk.alias}
        </th>
        <td>
          {disk.attachments.length === 0 ? (
            <span className="muted">
              —<span className="visually-hidden">not attached</span>
            </span>
          ) : (
            <ul className="vm-list">
              {disk.attachments.map((a) => (
                <li key={a.vm.id}>
                  <Link to={`/vm?id=${a.vm.id}`}>{a.vm.name}</Link>
                  {a.vm.host && <span className="muted small"> on {a.vm.host.name}</span>}{" "}
                  <span className={`chip chip-${vmStatusTone(a.vm.status)}`}>{humanise(a.vm.status)}</span>
                  {!a.plugged && <span className="muted"> unplugged</span>}
                </li>
              ))}
            </ul>
          )}
        </td>
        <td>{disk.storageDomain.name}</td>
        <td className="nowrap">{formatLabel(disk)}</td>
        <td className="num">
          <Bytes value={disk.virtualSize} />
        </td>
        <td className="num">
          <Bytes value={disk.actualSize} />
        </td>
        <td className="col-bar">
          <SizeBar actual={disk.actualSize} virtual={disk.virtualSize} />
        </td>
        {estimates && (
          <td className="num">
            <EstimateCell disk={disk} />
          </td>
        )}
        <td className="col-status">
          {job ? (
            <div className="row-job">
              <span className="row-job-label">
                {phaseLabel(job.phase)} {job.progress}%
              </span>
              <ProgressBar value={job.progress} label={`Sparsifying ${disk.alias}`} />
            </div>
          ) : (
            <span className={`chip chip-disk-${disk.status.toLowerCase()}`}>{diskStatusLabel(disk.status)}</span>
          )}
        </td>
        <td className="col-sparsify">
          {/* A running job blocks its own disk: say so rather than "Blocked". */}
          <span className={`badge ${job ? "badge-job-running" : blocked ? "badge-blocked" : "badge-ok"}`}>
            {job ? "Sparsifying" : blocked ? "Blocked" : "Sparsifiable"}
          </span>
          {!job && !blocked && reclaimHint(disk) && (
            <span
              className="muted small reclaim-hint"
              title="The estimate is under 1 MiB: sparsifying would give almost nothing back"
            >
              {reclaimHint(disk)}
            </span>
          )}
          <button
            type="button"
            className={`link-button${!blocked && disk.sparsifyWarnings.length ? " warn" : ""}`}
            aria-expanded={expanded}
            aria-controls={detailsId}
            onClick={() => onToggle(disk)}
          >
            {toggleLabel}
            <span className="visually-hidden"> for {disk.alias}</span>
          </button>
        </td>
      </tr>
      {expanded && (
        <tr className="details-row" id={detailsId}>
          <td colSpan={columns}>
            <DiskDetails disk={disk} onSparsify={onSparsify} />
          </td>
        </tr>
      )}
    </>
  );
}
