// The signed-in session, kept in sessionStorage (this tab only; closing it signs out): the bearer
// token, or none when the server's development mode lets the tab in as its operator.
const TOKEN_KEY = "metald.token";
const SIGNED_IN_KEY = "metald.signed-in";

export interface Session {
  /** An `mtd_…` token; undefined in development mode. */
  token: string | undefined;
}

export function readSession(): Session | undefined {
  if (sessionStorage.getItem(SIGNED_IN_KEY) !== "1") return undefined;
  return { token: sessionStorage.getItem(TOKEN_KEY) ?? undefined };
}

export function saveSession(session: Session): void {
  if (session.token === undefined) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, session.token);
  sessionStorage.setItem(SIGNED_IN_KEY, "1");
}

export function clearSession(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(SIGNED_IN_KEY);
}
