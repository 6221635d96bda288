import { useEffect, useState } from "react";
import type { Api } from "../api/client";
import type { ApiError } from "../api/errors";
import { WATCH_JOB } from "../api/operations";
import type { Job } from "../api/types";

/**
 * Follows one job: the subscription yields its current state first, so a resubscription after a
 * lost WebSocket catches up by itself; it completes after SUCCEEDED, FAILED or CANCELLED.
 */
export function useJob(api: Api, id: string, seed?: Job): { job: Job | null; error: ApiError | null } {
  const [job, setJob] = useState<Job | null>(seed ?? null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(
    () =>
      api.subscribe(
        WATCH_JOB,
        { id },
        {
          next: (data) => {
            setJob(data.sparsifyJob);
            setError(null);
          },
          error: setError,
        },
      ),
    [api, id],
  );
  return { job, error };
}
