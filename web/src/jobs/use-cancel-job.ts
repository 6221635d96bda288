import { useCallback, useState } from "react";
import { CANCEL_JOB } from "../api/operations";
import { useSession } from "../session";

/** cancelSparsifyJob with its pending state and error, for a Cancel button. */
export function useCancelJob() {
  const { api } = useSession();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const cancel = useCallback(
    async (id: string) => {
      setPending(true);
      setError(null);
      try {
        return (await api.request(CANCEL_JOB, { id })).cancelSparsifyJob;
      } catch (e) {
        setError(e);
        return null;
      } finally {
        setPending(false);
      }
    },
    [api],
  );
  return { cancel, pending, error, clearError: () => setError(null) };
}
