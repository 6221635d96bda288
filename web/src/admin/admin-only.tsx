import { hasRole, useSession } from "../session";

/** Everyone sees the administration pages; only admins act. */
export const useIsAdmin = () => hasRole(useSession().me.role, "ADMIN");

export function AdminOnlyNote({ what }: { what: string }) {
  const { me } = useSession();
  return (
    <p className="alert alert-info small" role="note">
      You are signed in as {me.role === "VIEWER" ? "a viewer" : "an operator"}: you can look here; {what} needs an admin token.
    </p>
  );
}
