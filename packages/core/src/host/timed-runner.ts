// Times every host command and nft transaction for the metrics (where a request's time goes:
// `ip`, `tc`, `bpftool`, `nft`), without changing what they do or how they fail.
import { basename } from "node:path";
import type { CommandRunner } from "./command-runner.js";
import type { NftTransactions } from "./nft-channel.js";

/** Called once per command or transaction, after it ends: its name, seconds, and whether it succeeded. */
export type ObserveHostWork = (name: string, seconds: number, ok: boolean) => void;

async function timed<T>(
  name: string,
  observe: ObserveHostWork,
  work: () => Promise<T>,
): Promise<T> {
  const start = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
  try {
    const result = await work();
    observe(name, seconds(), true);
    return result;
  } catch (error) {
    observe(name, seconds(), false);
    throw error;
  }
}

/** A runner that reports each command by its program's file name (its arguments may name VMs). */
export function timedRunner(runner: CommandRunner, observe: ObserveHostWork): CommandRunner {
  return {
    run: (command, args, options) =>
      timed(basename(command), observe, () => runner.run(command, args, options)),
  };
}

/** Transactions reported as `nft-transaction`. */
export function timedNftTransactions(
  channel: NftTransactions,
  observe: ObserveHostWork,
): NftTransactions {
  return {
    apply: (script) => timed("nft-transaction", observe, () => channel.apply(script)),
    close: () => channel.close(),
  };
}
