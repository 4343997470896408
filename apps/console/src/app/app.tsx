// The console's root: one transport to metald (injected, so tests give their own), one query
// cache, the router. A call refused as unauthenticated ends the session.
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { TransportProvider } from "@connectrpc/connect-query";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { useState } from "react";
import { clearSession } from "../shared/api/session";
import { createAppRouter } from "./router";

/** Answers that another try will not change. */
const FINAL_CODES = new Set([
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.NotFound,
  Code.InvalidArgument,
  Code.FailedPrecondition,
  Code.AlreadyExists,
]);

export function createAppQueryClient(onUnauthenticated: () => void): QueryClient {
  const onError = (error: unknown) => {
    if (error instanceof ConnectError && error.code === Code.Unauthenticated) onUnauthenticated();
  };
  return new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        retry: (failures, error) =>
          failures < 2 && !(error instanceof ConnectError && FINAL_CODES.has(error.code)),
      },
    },
  });
}

export function App({ transport }: { transport: Transport }) {
  const [{ queryClient, router }] = useState(() => {
    let ended = () => {};
    const queryClient = createAppQueryClient(() => ended());
    const router = createAppRouter({ queryClient, transport });
    ended = () => {
      clearSession();
      queryClient.clear();
      router.navigate({ to: "/sign-in", search: { ended: true } });
    };
    return { queryClient, router };
  });
  return (
    <TransportProvider transport={transport}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </TransportProvider>
  );
}
