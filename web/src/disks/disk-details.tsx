import type { Disk } from "../api/types";
import { humanise } from "../format";
import { useWatchedJobs } from "../jobs/watched-jobs";
import { useSession } from "../session";
import { formatLabel } from "./disk-labels";

/** Everything about one disk's eligibility, in words: every blocker, every warning, and where it is attached. */
export function DiskDetails({ disk, onSparsify }: { disk: Disk; onSparsify: (disk: Disk) => void }) {
  const { canSparsify } = useSession();
  const { watch } = useWatchedJobs();
  const job = disk.lastSparsifyJob;
  return (
    <div className="details">
      {disk.sparsifyBlockers.length > 0 && (
        <section className="details-block">
          <h3 className="details-title details-title-blocked">Why {disk.alias} cannot be sparsified now</h3>
          <ul className="reasons" aria-label={`Reasons ${disk.alias} cannot be sparsified`}>
            {disk.sparsifyBlockers.map((b, i) => (
              <li key={`${b.code}-${i}`} data-code={b.code}>
                {b.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {disk.sparsifyWarnings.length > 0 && (
        <section className="details-block">
          <h3 className="details-title details-title-warning">Before you sparsify {disk.alias}</h3>
          <ul className="warnings">
            {disk.sparsifyWarnings.map((w, i) => (
              <li key={`${w.code}-${i}`} data-code={w.code}>
                {w.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {disk.sparsifiable && disk.sparsifyWarnings.length === 0 && (
        <p className="details-ok">Nothing stands in the way: {disk.alias} can be sparsified now.</p>
      )}
      <dl className="facts">
        <div>
          <dt>Format</dt>
          <dd>{formatLabel(disk)}</dd>
        </div>
        <div>
          <dt>Attached to</dt>
          <dd>
            {disk.attachments.length === 0
              ? "No VM"
              : disk.attachments
                  .map((a) => `${a.vm.name} (${humanise(a.vm.status)}${a.plugged ? "" : ", unplugged"})`)
                  .join(", ")}
          </dd>
        </div>
        <div>
          <dt>Last sparsify job</dt>
          <dd>
            {job ? (
              <>
                {humanise(job.state)}{" "}
                <button type="button" className="link-button" onClick={() => watch([job.id])}>
                  Follow it<span className="visually-hidden"> (job of {disk.alias})</span>
                </button>
              </>
            ) : (
              "Never sparsified here"
            )}
          </dd>
        </div>
      </dl>
      {canSparsify && disk.sparsifiable && (
        <button type="button" className="button button-primary" onClick={() => onSparsify(disk)}>
          Sparsify {disk.alias}…
        </button>
      )}
    </div>
  );
}
