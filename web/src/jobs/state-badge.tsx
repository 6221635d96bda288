import type { JobState } from "../api/types";
import { humanise } from "../format";

export function StateBadge({ state }: { state: JobState }) {
  return <span className={`badge badge-job-${state.toLowerCase()}`}>{humanise(state)}</span>;
}
