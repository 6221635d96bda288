import { lazy, Suspense, useRef, useState } from "react";
import {
  ACTIVATE_STORAGE_DOMAIN,
  DEACTIVATE_STORAGE_DOMAIN,
  REMOVE_STORAGE_DOMAIN,
  SCAN_STORAGE_DOMAIN,
} from "../api/operations";
import type { StorageDomainDetails } from "../api/types";
import { useSession } from "../session";
import { Dialog } from "../ui/dialog";
import { ErrorAlert } from "../ui/error-alert";
import { removalConsequences } from "./admin-words";
import { useMutation } from "../api/use-query";

// cron-parser brings luxon (~40 KB gzipped): loaded only when an admin opens this dialog.
const PolicyScheduleDialog = lazy(() => import("./policy-schedule-dialog").then((m) => ({ default: m.PolicyScheduleDialog })));

function RemoveDialog({
  domain,
  onClose,
  onRemoved,
}: {
  domain: StorageDomainDetails & { diskCount?: number | null };
  onClose: () => void;
  onRemoved: () => void;
}) {
  const { api } = useSession();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const { busy, error, run } = useMutation();
  const remove = async () => {
    if (await run(() => api.request(REMOVE_STORAGE_DOMAIN, { id: domain.id }))) onRemoved();
  };
  return (
    <Dialog
      title={`Remove storage domain ${domain.name}?`}
      onClose={onClose}
      initialFocus={cancelRef}
      busy={busy}
      footer={
        <>
          <button type="button" className="button" ref={cancelRef} onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="button" className="button button-danger" onClick={remove} disabled={busy}>
            {busy ? "Removing…" : `Remove ${domain.name}`}
          </button>
        </>
      }
    >
      <p className="dialog-question">Removing it from the gateway means:</p>
      <ul aria-label={`What removing ${domain.name} does`}>
        {removalConsequences(domain).map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      {error && <ErrorAlert title="Not removed." error={error} />}
    </Dialog>
  );
}

/** An admin's buttons on a domain row: scan, activate or deactivate, policy and schedule, remove. */
export function DomainActions({
  domain,
  onChanged,
}: {
  domain: StorageDomainDetails & { diskCount?: number | null };
  onChanged: () => void;
}) {
  const { api } = useSession();
  const [open, setOpen] = useState<"remove" | "policy" | null>(null);
  const { busy, error, run, clear } = useMutation();
  const act = async (what: () => Promise<unknown>) => {
    if (await run(what)) onChanged();
  };
  const active = domain.status !== "INACTIVE";
  return (
    <div className="row-actions">
      <button
        type="button"
        className="button"
        disabled={busy}
        onClick={() => act(() => api.request(SCAN_STORAGE_DOMAIN, { id: domain.id }))}
        aria-label={`Scan ${domain.name}`}
      >
        Scan
      </button>
      <button
        type="button"
        className="button"
        disabled={busy}
        aria-label={`${active ? "Deactivate" : "Activate"} ${domain.name}`}
        onClick={() =>
          act(() =>
            active
              ? api.request(DEACTIVATE_STORAGE_DOMAIN, { id: domain.id })
              : api.request(ACTIVATE_STORAGE_DOMAIN, { id: domain.id }),
          )
        }
      >
        {active ? "Deactivate" : "Activate"}
      </button>
      <button type="button" className="button" onClick={() => setOpen("policy")}>
        Policy &amp; schedule…<span className="visually-hidden"> of {domain.name}</span>
      </button>
      <button
        type="button"
        className="button button-danger"
        onClick={() => setOpen("remove")}
        aria-label={`Remove ${domain.name}…`}
      >
        Remove…
      </button>
      {error && <ErrorAlert error={error} onDismiss={clear} />}
      {open === "remove" && (
        <RemoveDialog
          domain={domain}
          onClose={() => setOpen(null)}
          onRemoved={() => {
            setOpen(null);
            onChanged();
          }}
        />
      )}
      {open === "policy" && (
        <Suspense fallback={<span role="status">Loading…</span>}>
          <PolicyScheduleDialog domain={domain} onClose={() => setOpen(null)} onChanged={onChanged} />
        </Suspense>
      )}
    </div>
  );
}
