// Which guest namespaces one sandbox created: an empty marker file per namespace in a directory
// of that sandbox's own (on /run, a tmpfs like /run/netns, so marks and namespaces go together
// at reboot). The machine's namespace list is shared with every other metald or test sandbox,
// and a namespace carries no owner that can be read without entering it: one directory listing
// tells a reconcile which leftovers are its own, whatever the number of foreign namespaces.
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const GUEST_MARKS_ROOT = "/run/metald/guest-namespaces";

export interface GuestNamespaceMarks {
  readonly dir: string;
  /** Marks `namespace` as this sandbox's, its guest side not (or no longer) finished. */
  mark(namespace: string): Promise<void>;
  /** Records that the guest side of `namespace` was finished as `fingerprint` describes. */
  settle(namespace: string, fingerprint: string): Promise<void>;
  /** Each marked namespace's fingerprint ("" if not finished). */
  fingerprints(): Promise<Map<string, string>>;
  unmark(namespace: string): Promise<void>;
  /** The namespaces marked as this sandbox's. */
  list(): Promise<Set<string>>;
}

export function createGuestNamespaceMarks(dir: string): GuestNamespaceMarks {
  return {
    dir,
    async mark(namespace) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(join(dir, namespace), "", { mode: 0o600 });
    },
    async settle(namespace, fingerprint) {
      await writeFile(join(dir, namespace), fingerprint, { mode: 0o600 });
    },
    async fingerprints() {
      const names = [...(await this.list())];
      const read = (name: string) => readFile(join(dir, name), "utf8").catch(() => "");
      const contents = await Promise.all(names.map(read));
      return new Map(names.map((name, i) => [name, contents[i] ?? ""]));
    },
    async unmark(namespace) {
      await rm(join(dir, namespace), { force: true });
    },
    async list() {
      try {
        return new Set(await readdir(dir));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Set();
        throw error;
      }
    },
  };
}
