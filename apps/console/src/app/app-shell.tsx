// The frame around every signed-in page: navigation, who is signed in, sign out, and a skip link
// to the page's content.
import { Link, Outlet, useNavigate } from "@tanstack/react-router";
import { Suspense } from "react";
import { useCaller } from "../features/auth/api/get-host-info";
import { useSignOut } from "../features/auth/api/sign-in";
import { Button } from "../shared/ui/button";
import { LoadingState } from "../shared/ui/states";

const LINKS = [
  { to: "/", label: "Overview", exact: true },
  { to: "/vms", label: "VMs", exact: false },
  { to: "/tenants", label: "Tenants", exact: false },
  { to: "/pools", label: "Pools", exact: false },
  { to: "/events", label: "Events", exact: false },
  { to: "/compliance", label: "Compliance", exact: false },
  { to: "/topology", label: "Topology", exact: false },
] as const;

/** Who is signed in, once GetHostInfo has answered; sign-out at once. */
function CallerBadge() {
  const caller = useCaller();
  return (
    <span>
      Signed in as <strong>{caller.description}</strong>
    </span>
  );
}

export function AppShell() {
  const signOut = useSignOut();
  const navigate = useNavigate();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="shell__nav" aria-label="Main">
        <Link to="/" className="shell__brand">
          metald
        </Link>
        <ul className="shell__links">
          {LINKS.map((l) => (
            <li key={l.to}>
              <Link to={l.to} activeOptions={{ exact: l.exact }}>
                {l.label}
              </Link>
            </li>
          ))}
        </ul>
        <div className="shell__caller">
          <Suspense fallback={<span>Signing in…</span>}>
            <CallerBadge />
          </Suspense>
          <Button
            onClick={() => {
              signOut();
              navigate({ to: "/sign-in" });
            }}
          >
            Sign out
          </Button>
        </div>
      </nav>
      <main id="main" className="shell__main" tabIndex={-1}>
        <Suspense fallback={<LoadingState />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
