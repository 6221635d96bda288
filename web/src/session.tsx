import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { Api } from "./api/client";
import { asApiError, describeError } from "./api/errors";
import { ME } from "./api/operations";
import type { Me, Role } from "./api/types";

const TOKEN_KEY = "sparsify.token";

/** Who is signed in, what they may do, and the connection that acts for them. */
export interface Session {
  api: Api;
  me: Me;
  /** operator or admin: may sparsify and cancel. */
  canSparsify: boolean;
  signOut(reason?: string): void;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in SessionProvider");
  return session;
}

const ROLE_RANK: Record<Role, number> = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 };
export const hasRole = (actual: Role, required: Role) => ROLE_RANK[actual] >= ROLE_RANK[required];

/** sessionStorage by default (gone with the tab); localStorage when the user asked to be remembered. */
const storedToken = () => sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY);
function storeToken(token: string | null, remember = false) {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
  if (token) (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, token);
}

type State = { phase: "checking" } | { phase: "signed-out"; notice?: string } | { phase: "signed-in"; api: Api; me: Me };

export interface SignInControls {
  signIn(token: string, remember: boolean): Promise<string | null>;
  notice?: string;
}

/**
 * Checks a token with `me` before keeping it; a token the gateway later refuses (revoked,
 * expired) signs the user out with the reason.
 */
export function SessionProvider({
  signedOut,
  checking,
  children,
}: {
  signedOut: (controls: SignInControls) => ReactNode;
  checking: ReactNode;
  children: ReactNode;
}) {
  const [state, setState] = useState<State>(() => (storedToken() ? { phase: "checking" } : { phase: "signed-out" }));

  const signOut = useCallback((notice?: string) => {
    storeToken(null);
    setState({ phase: "signed-out", notice });
  }, []);

  const open = useCallback(
    async (token: string): Promise<{ api: Api; me: Me }> => {
      // A token refused while it is being checked is the sign-in form's error, not a sign-out.
      let signedIn = false;
      const api = new Api(token, {
        onAuthLost: (message) => signedIn && signOut(`You were signed out: ${message.replace(/\.$/, "")}.`),
      });
      try {
        const { me } = await api.request(ME);
        signedIn = true;
        return { api, me };
      } catch (error) {
        api.dispose();
        throw error;
      }
    },
    [signOut],
  );

  useEffect(() => {
    const token = storedToken();
    if (!token) return;
    let cancelled = false;
    open(token).then(
      ({ api, me }) => (cancelled ? api.dispose() : setState({ phase: "signed-in", api, me })),
      (error) => {
        if (cancelled) return;
        const e = asApiError(error);
        if (e.code === "UNAUTHENTICATED") storeToken(null);
        setState({ phase: "signed-out", notice: describeError(e) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [open]);

  // The connection of a session that ended is closed (sockets, retries, listeners).
  const api = state.phase === "signed-in" ? state.api : null;
  useEffect(() => () => api?.dispose(), [api]);

  const signIn = useCallback(
    async (token: string, remember: boolean) => {
      try {
        const { api, me } = await open(token.trim());
        storeToken(token.trim(), remember);
        setState({ phase: "signed-in", api, me });
        return null;
      } catch (error) {
        return describeError(error);
      }
    },
    [open],
  );

  const session = useMemo<Session | null>(
    () =>
      state.phase === "signed-in"
        ? { api: state.api, me: state.me, canSparsify: hasRole(state.me.role, "OPERATOR"), signOut }
        : null,
    [state, signOut],
  );

  if (state.phase === "checking") return <>{checking}</>;
  if (!session) return <>{signedOut({ signIn, notice: state.phase === "signed-out" ? state.notice : undefined })}</>;
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
