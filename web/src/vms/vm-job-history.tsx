import { JOBS } from "../api/operations";
import { formatBytes, formatDateTime, humanise } from "../format";
import { ErrorAlert } from "../ui/error-alert";
import { useQuery } from "../api/use-query";

/** The sparsify jobs of a VM's disks, newest first: what was done to this VM's storage, and how it went. */
export function VmJobHistory({ vmId, every }: { vmId: string; every: number }) {
  const { data, error, reload } = useQuery(JOBS, { first: 20, filter: { vmId } }, every);
  const jobs = data?.sparsifyJobs.edges.map((e) => e.node) ?? null;
  return (
    <div className="vm-history">
      <h2 id="vm-history-title">Job history</h2>
      {error && <ErrorAlert title="Could not load the VM's jobs." error={error} onRetry={reload} />}
      <div className="table-wrap" tabIndex={0} aria-labelledby="vm-history-title">
        <table className="vm-jobs">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Disk</th>
              <th scope="col">State</th>
              <th scope="col">Result</th>
              <th scope="col" className="num">
                Reclaimed
              </th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {jobs?.length ? (
              jobs.map((job) => (
                <tr key={job.id} data-job={job.id}>
                  <td>{formatDateTime(job.createdAt)}</td>
                  <td>{job.disk?.alias ?? "(forgotten)"}</td>
                  <td>{humanise(job.state)}</td>
                  <td>{job.error ? `${job.error.code}: ${job.error.message}` : (job.outcomeMessage ?? "—")}</td>
                  <td className="num">{job.reclaimedBytes === null ? "—" : formatBytes(job.reclaimedBytes)}</td>
                  <td>{job.requestedBy}</td>
                </tr>
              ))
            ) : (
              <tr>
                <td colSpan={6} className="empty">
                  {jobs ? "No disk of this VM was sparsified yet." : "Loading…"}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
