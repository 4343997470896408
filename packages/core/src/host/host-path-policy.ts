// Which host files a VM may be given (boot.kernel_path, boot.initrd_path, storage[].path):
// regular files under the operator's image and volume directories, resolved with realpath so
// that no symlink leads out of them. A path outside them is refused before the filesystem is
// asked anything about it, so error messages tell nothing about the rest of the host.
import { realpath, stat } from "node:fs/promises";
import { posix } from "node:path";
import { FieldError, type FieldErrorCode } from "../policy/field-error.js";

/** Stands for the VM's tenant id in a volume directory ("/var/lib/metald/volumes/{tenant}"). */
export const TENANT_PLACEHOLDER = "{tenant}";

export interface VmFileDirectories {
  /** Kernels, initrds and disk images shared by VMs. */
  imageDirs: readonly string[];
  /** The VMs' own disks; "{tenant}" in a directory is replaced by the VM's tenant. */
  volumeDirs: readonly string[];
  /** Whether the operator named them (host configuration or environment), not the defaults. */
  configured: boolean;
}

/** The guides' asset directory for images; each tenant's volumes in a directory of its own. */
export const DEFAULT_VM_FILE_DIRECTORIES: VmFileDirectories = {
  imageDirs: ["/opt/vm-assets"],
  volumeDirs: ["/var/lib/metald/volumes/{tenant}"],
  configured: false,
};

export interface HostPathPolicyOptions {
  /** Read at every check: a configuration reload may replace them. */
  directories: () => VmFileDirectories;
  /**
   * Whether the VM runtime opens these files (Firecracker). Then, or when the directories are
   * configured, every path must resolve to an existing regular file inside them; otherwise (the
   * default directories with a runtime that opens nothing) only where a path lies is checked.
   */
  runtimeOpensFiles: boolean;
}

export interface HostPathCaller {
  tenantId: string;
  /** A tenant token: a path outside the directories is permission_denied, and a shared image is
   * attached read-only only. */
  tenantToken: boolean;
}

/** A VM's host files: its spec's resources, or its machine plan's. */
export interface VmHostFiles {
  kernelPath: string;
  initrdPath: string;
  storage: readonly { path: string; readonly: boolean }[];
}

export interface HostPathPolicy {
  /** Throws a FieldError naming the first path the caller may not give its VM. */
  check(files: VmHostFiles, caller: HostPathCaller): Promise<void>;
}

type Kind = "image" | "volume";

interface Directory {
  kind: Kind;
  path: string;
}

/** "/a/b" contains "/a/b/c" and nothing else that merely starts with "/a/b". */
function contains(directory: string, path: string): boolean {
  return directory === "/" ? path !== "/" : path.startsWith(`${directory}/`);
}

function normalized(path: string): string {
  const p = posix.normalize(path);
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

function describeType(info: Awaited<ReturnType<typeof stat>>): string {
  if (info.isDirectory()) return "a directory";
  if (info.isBlockDevice()) return "a block device";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isFIFO()) return "a named pipe";
  if (info.isSocket()) return "a socket";
  return "not a regular file";
}

export function createHostPathPolicy(options: HostPathPolicyOptions): HostPathPolicy {
  async function resolvedDirectories(dirs: Directory[]): Promise<Directory[]> {
    const out: Directory[] = [];
    for (const d of dirs) {
      // A directory that does not exist holds nothing.
      const path = await realpath(d.path).catch(() => undefined);
      if (path !== undefined) out.push({ kind: d.kind, path });
    }
    return out;
  }

  async function checkFile(
    fieldPath: string,
    text: string,
    kinds: readonly Kind[],
    all: Directory[],
    verify: boolean,
    denied: FieldErrorCode,
    readonly: boolean,
    caller: HostPathCaller,
  ): Promise<void> {
    // Volume directories first: one inside an image directory holds the tenant's own disks.
    const allowed = all
      .filter((d) => kinds.includes(d.kind))
      .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "volume" ? -1 : 1));
    const shown = JSON.stringify(text);
    const where = () => {
      const list = allowed.map((d) => d.path).join(", ") || "none configured";
      return kinds.includes("volume")
        ? `image or volume directories for tenant ${caller.tenantId} (${list})`
        : `image directories (${list})`;
    };
    const path = normalized(text);
    const lexical = allowed.find((d) => contains(d.path, path));
    if (!lexical) throw new FieldError(fieldPath, `${shown} is not under the ${where()}`, denied);
    let place = lexical;
    if (verify) {
      let resolved: string;
      try {
        resolved = await realpath(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const why =
          code === "ENOENT" || code === "ENOTDIR"
            ? "does not exist"
            : code === "EACCES"
              ? "cannot be read by metald"
              : `cannot be resolved (${code ?? "error"})`;
        throw new FieldError(fieldPath, `${shown} ${why}`);
      }
      const inside = (await resolvedDirectories(allowed)).find((d) => contains(d.path, resolved));
      if (!inside)
        throw new FieldError(
          fieldPath,
          `${shown} is a link that leads out of the ${where()}`,
          denied,
        );
      place = inside;
      const info = await stat(resolved);
      if (!info.isFile())
        throw new FieldError(fieldPath, `${shown} is ${describeType(info)}, not a regular file`);
    }
    // An image is shared by every VM naming it: a tenant's VM must not write into another's root
    // filesystem.
    if (caller.tenantToken && !readonly && place.kind === "image") {
      const volumes = all.filter((d) => d.kind === "volume").map((d) => d.path);
      throw new FieldError(
        fieldPath,
        `${shown} is a shared image: a tenant attaches it read-only ("readonly": true), or uses a disk of its own under ${volumes.join(", ") || "a volume directory"}`,
        "permission_denied",
      );
    }
  }

  return {
    async check(files, caller) {
      const dirs = options.directories();
      const verify = options.runtimeOpensFiles || dirs.configured;
      const all: Directory[] = [
        ...dirs.imageDirs.map((p) => ({ kind: "image" as const, path: normalized(p) })),
        ...dirs.volumeDirs.map((p) => ({
          kind: "volume" as const,
          path: normalized(p.split(TENANT_PLACEHOLDER).join(caller.tenantId)),
        })),
      ];
      // The operator fixes a path outside the directories; a tenant may not name one at all.
      const denied: FieldErrorCode = caller.tenantToken ? "permission_denied" : "invalid_argument";
      const check = (field: string, text: string, kinds: Kind[], readonly: boolean) =>
        checkFile(field, text, kinds, all, verify, denied, readonly, caller);
      if (files.kernelPath)
        await check("config.boot.kernel_path", files.kernelPath, ["image"], true);
      if (files.initrdPath)
        await check("config.boot.initrd_path", files.initrdPath, ["image"], true);
      for (const [i, disk] of files.storage.entries())
        await check(`config.storage[${i}].path`, disk.path, ["image", "volume"], disk.readonly);
    },
  };
}
