// The Firecracker runtime's options: each VM's firecracker runs under the jailer (chroot, its own
// uid and gid, no capabilities) whenever the jailer binary is found; METALD_JAILER=required
// refuses to start without it.
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import type { FirecrackerRuntimeOptions } from "@metald/core";

export interface FirecrackerEnv {
  PATH: string;
  METALD_FIRECRACKER_BINARY: string;
  METALD_FIRECRACKER_SOCKET_DIR: string;
  METALD_JAILER: "auto" | "required";
  METALD_JAILER_BINARY: string;
  METALD_JAILER_UID: number;
  METALD_JAILER_GID: number;
  METALD_JAILER_CHROOT_BASE: string;
}

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** An absolute path as given, or a name looked up in `searchPath` (PATH's form). */
export function findExecutable(name: string, searchPath: string): string | undefined {
  if (name.includes("/")) return isAbsolute(name) && isExecutable(name) ? name : undefined;
  for (const dir of searchPath.split(delimiter)) {
    if (dir === "" || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function firecrackerOptions(
  env: FirecrackerEnv,
): FirecrackerRuntimeOptions | { refused: string } {
  const jailer = findExecutable(env.METALD_JAILER_BINARY, env.PATH);
  if (!jailer) {
    if (env.METALD_JAILER === "required")
      return {
        refused: `METALD_JAILER=required but no jailer binary "${env.METALD_JAILER_BINARY}" was found (PATH or an absolute METALD_JAILER_BINARY)`,
      };
    return { binary: env.METALD_FIRECRACKER_BINARY, socketDir: env.METALD_FIRECRACKER_SOCKET_DIR };
  }
  return {
    // The jailer copies the file it is given into the jail: it needs a path, not a name.
    binary:
      findExecutable(env.METALD_FIRECRACKER_BINARY, env.PATH) ?? env.METALD_FIRECRACKER_BINARY,
    socketDir: env.METALD_FIRECRACKER_SOCKET_DIR,
    jailer: {
      binary: jailer,
      uid: env.METALD_JAILER_UID,
      gid: env.METALD_JAILER_GID,
      chrootBaseDir: env.METALD_JAILER_CHROOT_BASE,
    },
  };
}
