import type { Job } from "../api/types";
import { humanise } from "../format";
import { Bytes } from "../ui/bytes";
import { methodLabel } from "./method-label";

/** Which method ran, and why DIRECT was not used when a DIRECT domain's job ran virt-sparsify. */
export function JobMethod({ job }: { job: Pick<Job, "methodUsed" | "fallbackReason"> }) {
  const label = methodLabel(job);
  return label ? <span className="small muted job-method"> {label}.</span> : null;
}

/** How a finished job ended, in words: bytes reclaimed and the new size, why nothing came back, or the error. */
export function JobResult({ job }: { job: Job }) {
  if (job.state === "SUCCEEDED" && job.outcome === "RECLAIMED") {
    return (
      <p className="result result-ok">
        Reclaimed{" "}
        <strong className="reclaimed">
          <Bytes value={job.reclaimedBytes} />
        </strong>
        . Actual size <Bytes value={job.actualSizeBefore} /> → <Bytes value={job.actualSizeAfter} />.
        <JobMethod job={job} />
      </p>
    );
  }
  if (job.state === "SUCCEEDED") {
    return (
      <p className="result result-neutral">
        {job.outcomeMessage ?? humanise(job.outcome ?? "finished")}
        {job.actualSizeAfter !== null && (
          <>
            {" "}
            Actual size now <Bytes value={job.actualSizeAfter} />.
          </>
        )}
        <JobMethod job={job} />
      </p>
    );
  }
  if (job.state === "FAILED") {
    return (
      <p className="result result-failed">
        Failed: {job.error?.message ?? "the job failed without a message"}
        {job.error && <span className="code"> ({job.error.code})</span>}
        <JobMethod job={job} />
      </p>
    );
  }
  if (job.state === "CANCELLED") {
    return (
      <p className="result result-neutral">
        {job.outcomeMessage ?? "Cancelled"}
        {job.outcomeMessage?.endsWith(".") ? "" : "."}
      </p>
    );
  }
  return null;
}
