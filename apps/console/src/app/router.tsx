// The console's routes, in code. Every page is its own chunk, loaded when its route is first
// visited (or hovered); the signed-in pages share the shell, which first learns who the caller
// is (GetHostInfo) and sends anyone without a session to the sign-in page.
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { type QueryClient, useQueryErrorResetBoundary } from "@tanstack/react-query";
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  Link,
  lazyRouteComponent,
  Outlet,
  redirect,
  useRouter,
} from "@tanstack/react-router";
import { getHostInfoQueryOptions } from "../features/auth/api/get-host-info";
import { readSession } from "../shared/api/session";
import { PageHeader } from "../shared/ui/page-header";
import { EmptyState, ErrorState } from "../shared/ui/states";
import { AppShell } from "./app-shell";

export interface RouterContext {
  queryClient: QueryClient;
  transport: Transport;
}

const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

function NotFoundPage() {
  return (
    <main className="shell__main" id="main">
      <PageHeader title="Page not found" />
      <EmptyState title="There is no such page in the console.">
        <Link to="/">Go to the overview</Link>
      </EmptyState>
    </main>
  );
}

function RouteError({ error }: { error: unknown }) {
  const router = useRouter();
  // The session ended: the query cache is already on its way to the sign-in page.
  const { reset } = useQueryErrorResetBoundary();
  if (error instanceof ConnectError && error.code === Code.Unauthenticated) return null;
  return (
    <ErrorState
      title="This page failed"
      error={error}
      onRetry={() => {
        reset();
        router.invalidate();
      }}
    />
  );
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: NotFoundPage,
});

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/sign-in",
  validateSearch: (s: Record<string, unknown>): { redirect?: string; ended?: boolean } => ({
    ...(text(s.redirect) && { redirect: text(s.redirect) }),
    ...((s.ended === true || s.ended === "true") && { ended: true }),
  }),
  component: lazyRouteComponent(
    () => import("../features/auth/components/sign-in-page"),
    "SignInPage",
  ),
});

const shellRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "signed-in",
  // Only the session is checked before the shell paints; who the caller is (GetHostInfo) is
  // asked for at once and read where it is shown, so the first paint waits for no request.
  beforeLoad: ({ context, location }) => {
    if (!readSession()) throw redirect({ to: "/sign-in", search: { redirect: location.href } });
    void context.queryClient.prefetchQuery(getHostInfoQueryOptions(context.transport));
  },
  component: AppShell,
  errorComponent: RouteError,
});

const overviewRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: "/",
  component: lazyRouteComponent(
    () => import("../features/overview/components/overview-page"),
    "OverviewPage",
  ),
});

const vmsRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: "/vms",
  validateSearch: (s: Record<string, unknown>): { state?: string; tenant?: string } => ({
    ...(text(s.state) && { state: text(s.state) }),
    ...(text(s.tenant) && { tenant: text(s.tenant) }),
  }),
  component: lazyRouteComponent(
    () => import("../features/vms/components/vm-list-page"),
    "VmListPage",
  ),
});

const createVmRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: "/vms/new",
  component: lazyRouteComponent(
    () => import("../features/vms/components/create-vm-page"),
    "CreateVmPage",
  ),
});

const vmRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: "/vms/$vmId",
  validateSearch: (s: Record<string, unknown>): { tab?: "security" | "enforcement" | "history" } =>
    s.tab === "enforcement" || s.tab === "history" ? { tab: s.tab } : {},
  component: lazyRouteComponent(() => import("../features/vms/components/vm-page"), "VmPage"),
});

const tenantsRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: "/tenants",
  component: lazyRouteComponent(
    () => import("../features/tenants/components/tenant-list-page"),
    "TenantListPage",
  ),
});

const tenantRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: "/tenants/$tenantId",
  component: lazyRouteComponent(() => import("./routes/tenant-route"), "TenantRoute"),
});

const poolsRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: "/pools",
  component: lazyRouteComponent(
    () => import("../features/pools/components/pool-list-page"),
    "PoolListPage",
  ),
});

const poolRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: "/pools/$poolId",
  component: lazyRouteComponent(() => import("../features/pools/components/pool-page"), "PoolPage"),
});

const eventsRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: "/events",
  validateSearch: (
    s: Record<string, unknown>,
  ): { tenant?: string; vm?: string; type?: string; severity?: string; range?: string } => ({
    ...(text(s.tenant) && { tenant: text(s.tenant) }),
    ...(text(s.vm) && { vm: text(s.vm) }),
    ...(text(s.type) && { type: text(s.type) }),
    ...(text(s.severity) && { severity: text(s.severity) }),
    ...(text(s.range) && { range: text(s.range) }),
  }),
  component: lazyRouteComponent(
    () => import("../features/security-events/components/security-events-page"),
    "SecurityEventsPage",
  ),
});

const complianceRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: "/compliance",
  validateSearch: (s: Record<string, unknown>): { tenant?: string } => ({
    ...(text(s.tenant) && { tenant: text(s.tenant) }),
  }),
  component: lazyRouteComponent(
    () => import("../features/compliance/components/compliance-page"),
    "CompliancePage",
  ),
});

const topologyRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: "/topology",
  component: lazyRouteComponent(
    () => import("../features/topology/components/topology-page"),
    "TopologyPage",
  ),
});

export const routeTree = rootRoute.addChildren([
  signInRoute,
  shellRoute.addChildren([
    overviewRoute,
    vmsRoute,
    createVmRoute,
    vmRoute,
    tenantsRoute,
    tenantRoute,
    poolsRoute,
    poolRoute,
    eventsRoute,
    complianceRoute,
    topologyRoute,
  ]),
]);

export function createAppRouter(context: RouterContext) {
  return createRouter({
    routeTree,
    context,
    defaultPreload: "intent",
    scrollRestoration: true,
  });
}

declare module "@tanstack/react-router" {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
