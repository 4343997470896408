// Sign-in: an API token (`mtd_…`, from `metald token create`), kept for this tab only; or, when
// metald runs with METALD_AUTH=development, the development operator without a token.
import { Code, ConnectError } from "@connectrpc/connect";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { errorText } from "../../../shared/api/field-error";
import { Button } from "../../../shared/ui/button";
import { TextField } from "../../../shared/ui/field";
import { useSignIn } from "../api/sign-in";

/** Only paths of this console: never another origin. */
function safeRedirect(target: string | undefined): string {
  return target?.startsWith("/") && !target.startsWith("//") && !target.startsWith("/sign-in")
    ? target
    : "/";
}

function problemOf(error: unknown, withToken: boolean): string {
  if (error instanceof ConnectError && error.code === Code.Unauthenticated)
    return withToken
      ? "metald refused this token: it is unknown, mistyped or revoked."
      : "This metald requires a token (it is not in development mode).";
  return errorText(error);
}

export function SignInPage() {
  const search = useSearch({ strict: false }) as { redirect?: string; ended?: boolean };
  const navigate = useNavigate();
  const signIn = useSignIn();
  const [token, setToken] = useState("");
  const [tokenError, setTokenError] = useState<string>();
  const [withToken, setWithToken] = useState(true);

  const go = (value: string | undefined) => {
    setWithToken(value !== undefined);
    signIn.mutate(value, {
      onSuccess: () => navigate({ to: safeRedirect(search.redirect) }),
    });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = token.trim();
    if (value === "") {
      setTokenError("Enter a token, e.g. mtd_… from `metald token create`.");
      return;
    }
    setTokenError(undefined);
    go(value);
  };

  return (
    <main className="sign-in">
      <div className="card">
        <h1>Sign in to metald</h1>
        {search.ended && (
          <p className="notice" role="status">
            Your session ended; sign in again.
          </p>
        )}
        <form className="form" onSubmit={submit} noValidate>
          <TextField
            label="API token"
            name="token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            error={tokenError}
            hint="Sent as Authorization: Bearer and kept in this tab only."
          />
          <div className="form__actions">
            <Button type="submit" tone="primary" busy={signIn.isPending && withToken}>
              Sign in
            </Button>
          </div>
        </form>
        <hr />
        <p>
          Development mode (<code>METALD_AUTH=development</code>) lets you in as the operator
          without a token.
        </p>
        <div>
          <Button busy={signIn.isPending && !withToken} onClick={() => go(undefined)}>
            Continue without a token
          </Button>
        </div>
        {signIn.isError && (
          <p className="notice notice--error" role="alert">
            {problemOf(signIn.error, withToken)}
          </p>
        )}
      </div>
    </main>
  );
}
