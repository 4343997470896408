// Signing in: the token is tried against GetHostInfo before it is kept, so a wrong one is
// refused on the sign-in page rather than on the first page after it.
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, useTransport } from "@connectrpc/connect-query";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { clearSession, saveSession } from "../../../shared/api/session";
import { getHostInfoMethod } from "./get-host-info";

/** Tries the token (none: development mode) and keeps it when metald accepts it. */
export async function signIn(transport: Transport, token: string | undefined) {
  const info = await callUnaryMethod(
    transport,
    getHostInfoMethod,
    {},
    {
      headers: token === undefined ? undefined : { authorization: `Bearer ${token}` },
    },
  );
  saveSession({ token });
  return info;
}

export function useSignIn() {
  const transport = useTransport();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (token: string | undefined) => signIn(transport, token),
    onSuccess: () => queryClient.clear(),
  });
}

export function useSignOut() {
  const queryClient = useQueryClient();
  return () => {
    clearSession();
    queryClient.clear();
  };
}
