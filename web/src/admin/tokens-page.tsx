import { useId, useRef, useState, type FormEvent } from "react";
import { API_TOKENS, CREATE_API_TOKEN, REVOKE_API_TOKEN } from "../api/operations";
import type { Role } from "../api/types";
import { formatDateTime, humanise } from "../format";
import { useSession } from "../session";
import { Dialog } from "../ui/dialog";
import { ErrorAlert } from "../ui/error-alert";
import { AdminOnlyNote, useIsAdmin } from "./admin-only";
import { useMutation, useQuery } from "../api/use-query";

/** The secret, once: a read-only field and a copy button; closing the dialog forgets it. */
function SecretDialog({ name, secret, onClose }: { name: string; secret: string; onClose: () => void }) {
  const copyRef = useRef<HTMLButtonElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("Copied to the clipboard.");
    } catch {
      setCopied("This browser refused the clipboard: select the secret and copy it by hand.");
    }
  };
  return (
    <Dialog
      title={`Token ${name} created`}
      onClose={onClose}
      initialFocus={copyRef}
      footer={
        <button type="button" className="button" onClick={onClose}>
          I have stored it
        </button>
      }
    >
      <p className="dialog-question">This is the only time the secret is shown. Store it now; the gateway keeps only its hash.</p>
      <label className="field">
        <span className="field-label">Secret</span>
        <input readOnly value={secret} className="code" onFocus={(e) => e.target.select()} />
      </label>
      <button type="button" className="button button-primary" ref={copyRef} onClick={copy}>
        Copy the secret
      </button>
      <p role="status" className="small">
        {copied}
      </p>
    </Dialog>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: () => void }) {
  const { api } = useSession();
  const id = useId();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("VIEWER");
  const [expires, setExpires] = useState("");
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const { busy, error, run } = useMutation();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const expiresAt = expires ? new Date(`${expires}T23:59:59`).toISOString() : null;
    const result = await run(() => api.request(CREATE_API_TOKEN, { input: { name: name.trim(), role, expiresAt } }));
    if (result) {
      setCreated({ name: result.createApiToken.token.name, secret: result.createApiToken.secret });
      setName("");
      onCreated();
    }
  };
  return (
    <form className="filters admin-form" aria-label="Create an API token" onSubmit={submit}>
      <div className="field field-grow">
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
        />
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`${id}-role`}>
          Role
        </label>
        <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="VIEWER">Viewer: read and watch</option>
          <option value="OPERATOR">Operator: also sparsify and cancel</option>
          <option value="ADMIN">Admin: everything</option>
        </select>
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`${id}-expires`}>
          Expires (optional)
        </label>
        <input id={`${id}-expires`} type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
      </div>
      <div className="field">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? "Creating…" : "Create token"}
        </button>
      </div>
      {error && (
        <div className="field-full">
          <ErrorAlert title="No token created." error={error} />
        </div>
      )}
      {created && <SecretDialog {...created} onClose={() => setCreated(null)} />}
    </form>
  );
}

/** API tokens: admins list, create (the secret shown once) and revoke them; the list never has secrets. */
export function TokensPage() {
  const admin = useIsAdmin();
  if (admin) return <TokenAdmin />;
  return (
    <section className="page" aria-labelledby="tokens-title">
      <div className="page-head">
        <h1 id="tokens-title">API tokens</h1>
      </div>
      <AdminOnlyNote what="seeing, creating or revoking tokens" />
    </section>
  );
}

function TokenAdmin() {
  const { api } = useSession();
  const admin = true;
  const { data, error, loading, reload } = useQuery(API_TOKENS);
  const revoke = useMutation();
  const tokens = data ? [...data.apiTokens].sort((a, b) => b.createdAt.localeCompare(a.createdAt)) : null;
  return (
    <section className="page" aria-labelledby="tokens-title">
      <div className="page-head">
        <h1 id="tokens-title">API tokens</h1>
      </div>
      <CreateTokenForm onCreated={reload} />
      {error && <ErrorAlert title="Could not load the tokens." error={error} onRetry={reload} />}
      {revoke.error && <ErrorAlert title="Not revoked." error={revoke.error} onDismiss={revoke.clear} />}
      <div className="table-wrap" aria-busy={loading} tabIndex={0} role="region" aria-label="Tokens table">
        <table className="tokens">
          <caption className="visually-hidden">API tokens, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">State</th>
              {admin && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {tokens?.map((t) => (
              <tr key={t.id} data-token={t.name}>
                <th scope="row">{t.name}</th>
                <td>{humanise(t.role)}</td>
                <td className="small">
                  {formatDateTime(t.createdAt)} <span className="muted">by {t.createdBy}</span>
                </td>
                <td className="small">{t.expiresAt ? formatDateTime(t.expiresAt) : "Never"}</td>
                <td>
                  {t.revokedAt ? (
                    <span className="badge badge-blocked">Revoked</span>
                  ) : t.expiresAt && t.expiresAt < new Date().toISOString() ? (
                    <span className="badge badge-blocked">Expired</span>
                  ) : (
                    <span className="badge badge-ok">Active</span>
                  )}
                </td>
                {admin && (
                  <td>
                    {!t.revokedAt && (
                      <button
                        type="button"
                        className="button button-danger"
                        disabled={revoke.busy}
                        onClick={async () => {
                          if (!window.confirm(`Revoke token ${t.name}? Whoever uses it is signed out at once.`)) return;
                          if (await revoke.run(() => api.request(REVOKE_API_TOKEN, { id: t.id }))) reload();
                        }}
                      >
                        Revoke {t.name}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
            {tokens && !tokens.length && (
              <tr>
                <td colSpan={admin ? 6 : 5} className="empty">
                  No token yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
