import { useId, useState, type FormEvent } from "react";
import { describeError } from "../api/errors";
import { ADD_STORAGE_DOMAIN } from "../api/operations";
import { useSession } from "../session";
import { localPathProblem } from "./admin-words";
import { useMutation } from "../api/use-query";

/**
 * Adds a storage domain (the gateway scans it at once). A refused path is shown under the path
 * field in the gateway's words (STORAGE_PATH_INVALID, CONFLICT), the field marked invalid.
 */
export function AddDomainForm({ onAdded }: { onAdded: (name: string) => void }) {
  const { api } = useSession();
  const id = useId();
  const [name, setName] = useState("");
  const [path, setPath] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, run } = useMutation();
  const local = localPathProblem(path);
  const pathError =
    local ??
    (error && (error.code === "STORAGE_PATH_INVALID" || error.extensions.field === "path" || /path|uses/.test(error.message))
      ? describeError(error)
      : null);
  const otherError = error && !pathError ? describeError(error) : null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (local) return;
    setDone(null);
    const result = await run(() => api.request(ADD_STORAGE_DOMAIN, { input: { name: name.trim(), path } }));
    if (result) {
      setDone(`Storage domain ${result.addStorageDomain.name} added; a host is scanning it.`);
      setName("");
      setPath("");
      onAdded(result.addStorageDomain.name);
    }
  };

  return (
    <form className="filters admin-form" aria-label="Add a storage domain" onSubmit={submit}>
      <div className="field">
        <label className="field-label" htmlFor={`${id}-name`}>
          Name
        </label>
        <input
          id={`${id}-name`}
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={100}
          autoComplete="off"
          spellCheck={false}
        />
      </div>
      <div className="field field-grow">
        <label className="field-label" htmlFor={`${id}-path`}>
          Path on the hosts
        </label>
        <input
          id={`${id}-path`}
          value={path}
          onChange={(e) => setPath(e.target.value)}
          required
          placeholder="/srv/vmstore"
          autoComplete="off"
          spellCheck={false}
          aria-invalid={pathError ? true : undefined}
          aria-describedby={`${id}-path-help`}
        />
        <span id={`${id}-path-help`} className={pathError ? "field-error small" : "muted small"}>
          {pathError ?? "An absolute directory inside the gateway's storage roots."}
        </span>
      </div>
      <div className="field">
        <button type="submit" className="button button-primary" disabled={busy || !!local}>
          {busy ? "Adding…" : "Add storage domain"}
        </button>
      </div>
      {otherError && (
        <div className="alert alert-error field-full" role="alert">
          {otherError}
        </div>
      )}
      <div className="field-full small" role="status">
        {done}
      </div>
    </form>
  );
}
