import type { Disk } from "../api/types";
import { humanise } from "../format";
import { Bytes } from "../ui/bytes";

/** The estimated bytes sparsifying would give back, or why there is no estimate. */
export function EstimateCell({ disk }: { disk: Disk }) {
  if (disk.reclaimableEstimate !== null && disk.reclaimableEstimate !== undefined) {
    return (
      <>
        <span className="muted" aria-hidden="true">
          ~
        </span>
        <span className="visually-hidden">about </span>
        <Bytes value={disk.reclaimableEstimate} />
        {disk.needsSparsify && <span className="chip chip-up worth">worth it</span>}
      </>
    );
  }
  return (
    <span className="muted small">
      {disk.estimateUnavailableReason
        ? `No estimate: ${humanise(disk.estimateUnavailableReason).toLowerCase()}`
        : "Not estimated yet"}
    </span>
  );
}
