import { useId, useState, type FormEvent } from "react";
import type { SignInControls } from "./session";

/** Token sign-in: the token is checked with `me` before it is kept. */
export function SignIn({ signIn, notice }: SignInControls) {
  const [token, setToken] = useState("");
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const helpId = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!token.trim()) return setError("Paste an API token first.");
    setBusy(true);
    setError(await signIn(token, remember));
    setBusy(false);
  };

  return (
    <main className="sign-in" id="main">
      <form className="sign-in-card" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title" noValidate>
        <h1 id="sign-in-title">Sign in to Sparsify</h1>
        <p className="muted">Find VM disks whose deleted data can be given back to storage, and reclaim it with virt-sparsify.</p>
        {notice && (
          <div className="alert alert-info" role="status">
            {notice}
          </div>
        )}
        <label className="field">
          <span className="field-label">API token</span>
          <input
            type="password"
            name="token"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            required
            autoFocus
            aria-describedby={helpId}
            aria-invalid={error ? true : undefined}
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          Keep me signed in on this browser
        </label>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" className="button button-primary button-wide" disabled={busy}>
          {busy ? "Checking the token…" : "Sign in"}
        </button>
        <div id={helpId} className="sign-in-help small">
          <p>
            <strong>Where do I get a token?</strong> <code>npm start</code> prints a development admin token. An administrator
            creates others with <code>npm run token:create -- --role operator</code>.
          </p>
          <p>Viewers look and follow jobs; operators also sparsify and cancel; admins do everything.</p>
        </div>
      </form>
    </main>
  );
}
