// Compiles what is not TypeScript, with clang:
// - the eBPF port guard (bpf/vm_guard.c) into dist/bpf/vm_guard.o. Without clang the build goes
//   on without it, and metald reports the guard's settings as not enforced (`metald precheck`,
//   GetHostInfo notes); METALD_REQUIRE_BPF=1 makes that an error instead.
// - the host command helper (native/run-helper.c) into dist/native/run-helper. Without it metald
//   uses its Node helper, which costs a few milliseconds more per host command.
// - guard-ports (native/guard-ports.c), which attaches the port guard and writes its settings,
//   into dist/native/guard-ports; the guard needs it as it needs vm_guard.o.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { arch } from "node:os";

const include = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" }[arch()];
mkdirSync("dist/bpf", { recursive: true });
const args = ["-O2", "-g", "-Wall", "-Werror", "-target", "bpf"];
if (include) args.push(`-I/usr/include/${include}`);
args.push("-c", "bpf/vm_guard.c", "-o", "dist/bpf/vm_guard.o");
try {
  execFileSync("clang", args, { stdio: "inherit" });
} catch (error) {
  if (process.env.METALD_REQUIRE_BPF === "1") throw error;
  console.warn(`vm_guard.o not built (${error.message}): the eBPF port guard will be unavailable`);
}

mkdirSync("dist/native", { recursive: true });
const native = (name) =>
  execFileSync(
    "clang",
    ["-O2", "-Wall", "-Wextra", "-Werror", `native/${name}.c`, "-o", `dist/native/${name}`],
    { stdio: "inherit" },
  );
try {
  native("run-helper");
} catch (error) {
  console.warn(`run-helper not built (${error.message}): host commands go through the Node helper`);
}
try {
  native("guard-ports");
} catch (error) {
  if (process.env.METALD_REQUIRE_BPF === "1") throw error;
  console.warn(`guard-ports not built (${error.message}): the eBPF port guard will be unavailable`);
}
