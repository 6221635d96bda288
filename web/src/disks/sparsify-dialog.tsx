import { Fragment, useEffect, useRef, useState } from "react";
import { SPARSIFY_DISKS } from "../api/operations";
import type { Disk, Job } from "../api/types";
import { useSession } from "../session";
import { Bytes } from "../ui/bytes";
import { Dialog } from "../ui/dialog";
import { ErrorAlert } from "../ui/error-alert";
import { plural } from "./disk-labels";
import { EstimateCell } from "./estimate-cell";

type Reason = { code: string; message: string };
type Result = { job: Job } | { blockers: Reason[] } | { problem: string } | { error: unknown };

/** "2 started · 1 refused": what one sparsifyDisks request did, in words. */
export function requestSummary(results: ReadonlyMap<string, Result>): string {
  const values = [...results.values()];
  const started = values.filter((r) => "job" in r).length;
  const refused = values.length - started;
  return refused ? `${started} started · ${refused} not started` : `${plural(started, "job")} started`;
}

/**
 * "Are you sure?" with the disks, their sizes and their warnings. Confirming sends ONE
 * sparsifyDisks request: the gateway locks and queues the accepted disks together and reports each
 * refused one with its reasons; the dialog closes when all started, or stays open with a summary
 * and each refusal in words.
 */
export function SparsifyDialog({
  disks,
  onClose,
  onStarted,
}: {
  disks: Disk[];
  onClose: () => void;
  onStarted: (jobs: Job[]) => void;
}) {
  const { api } = useSession();
  const confirmRef = useRef<HTMLButtonElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const [results, setResults] = useState<ReadonlyMap<string, Result>>(new Map());
  const [running, setRunning] = useState(false);
  const done = results.size === disks.length;
  const total = disks.reduce((sum, d) => sum + d.actualSize, 0);
  const estimates = disks.some((d) => "reclaimableEstimate" in d);
  const cols = estimates ? 5 : 4;
  // The Confirm button is gone once every disk was tried: keep focus inside the dialog.
  useEffect(() => {
    if (done) closeRef.current?.focus();
  }, [done]);

  const confirm = async () => {
    setRunning(true);
    const out = new Map<string, Result>();
    try {
      const { sparsifyDisks } = await api.request(SPARSIFY_DISKS, { input: { diskIds: disks.map((d) => d.id) } });
      for (const r of sparsifyDisks) {
        if (r.job) out.set(r.diskId, { job: r.job });
        else if (r.sparsifyBlockers) out.set(r.diskId, { blockers: r.sparsifyBlockers });
        else out.set(r.diskId, { problem: r.error?.message ?? "The gateway did not say why" });
      }
    } catch (error) {
      for (const disk of disks) out.set(disk.id, { error });
    }
    setResults(out);
    setRunning(false);
    const started = [...out.values()].flatMap((r) => ("job" in r ? [r.job] : []));
    if (started.length) onStarted(started);
    if (started.length === disks.length) onClose();
  };

  const footer = done ? (
    <button ref={closeRef} type="button" className="button button-primary" onClick={onClose}>
      Close
    </button>
  ) : (
    <>
      <button type="button" className="button" onClick={onClose} disabled={running}>
        Cancel
      </button>
      <button ref={confirmRef} type="button" className="button button-primary" onClick={() => void confirm()} disabled={running}>
        {running ? `Starting ${plural(disks.length, "disk")}…` : `Sparsify ${plural(disks.length, "disk")}`}
      </button>
    </>
  );

  return (
    <Dialog
      title={disks.length === 1 ? `Sparsify ${disks[0]!.alias}` : `Sparsify ${disks.length} disks`}
      onClose={onClose}
      busy={running}
      initialFocus={confirmRef}
      footer={footer}
    >
      <p className="dialog-question">Are you sure you want to sparsify the following disks?</p>
      <table className="dialog-disks">
        <thead>
          <tr>
            <th scope="col">Disk</th>
            <th scope="col">Storage domain</th>
            <th scope="col" className="num">
              Actual size
            </th>
            <th scope="col" className="num">
              Virtual size
            </th>
            {estimates && (
              <th scope="col" className="num">
                Reclaimable (estimate)
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {disks.map((disk) => {
            const result = results.get(disk.id);
            return (
              <Fragment key={disk.id}>
                <tr data-alias={disk.alias}>
                  <th scope="row">
                    {disk.alias}
                    {result && "job" in result && <span className="badge badge-ok started">Started</span>}
                  </th>
                  <td>{disk.storageDomain.name}</td>
                  <td className="num">
                    <Bytes value={disk.actualSize} />
                  </td>
                  <td className="num">
                    <Bytes value={disk.virtualSize} />
                  </td>
                  {estimates && (
                    <td className="num">
                      <EstimateCell disk={disk} />
                    </td>
                  )}
                </tr>
                {disk.sparsifyWarnings.length > 0 && (
                  <tr className="dialog-note">
                    <td colSpan={cols}>
                      <ul className="warnings" aria-label={`Warnings for ${disk.alias}`}>
                        {disk.sparsifyWarnings.map((w, i) => (
                          <li key={`${w.code}-${i}`}>{w.message}</li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                )}
                {result && "error" in result && (
                  <tr className="dialog-note">
                    <td colSpan={cols}>
                      <ErrorAlert title={`${disk.alias} was not started.`} error={result.error} />
                    </td>
                  </tr>
                )}
                {result && ("blockers" in result || "problem" in result) && (
                  <tr className="dialog-note">
                    <td colSpan={cols}>
                      <div className="alert alert-error" role="alert">
                        <div className="alert-body">
                          <strong>{disk.alias} was not started. </strong>
                          {"blockers" in result ? (
                            <>
                              <span>Disk {disk.alias} cannot be sparsified now:</span>
                              <ul className="reasons">
                                {result.blockers.map((b, i) => (
                                  <li key={`${b.code}-${i}`}>{b.message}</li>
                                ))}
                              </ul>
                            </>
                          ) : (
                            <span>{result.problem}</span>
                          )}
                        </div>
                      </div>
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
        {disks.length > 1 && (
          <tfoot>
            <tr>
              <th scope="row" colSpan={2}>
                Total
              </th>
              <td className="num">
                <Bytes value={total} />
              </td>
              <td colSpan={cols - 3} />
            </tr>
          </tfoot>
        )}
      </table>
      {done && (
        <p className="request-summary" role="status">
          {requestSummary(results)}
        </p>
      )}
      <p className="muted small">
        virt-sparsify runs on a host worker with each disk locked; the VMs using them must stay down until it ends. You can follow
        and cancel each job.
      </p>
    </Dialog>
  );
}
