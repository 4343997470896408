// VmService.UnisolateVm: lifts the quarantine (operators only), with a reason.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, useMutation } from "@connectrpc/connect-query";
import { VmService } from "@metald/proto";
import { useInvalidateAfterVmChange } from "./invalidate-after-vm-change";

export const unisolateVmMethod = VmService.method.unisolateVm;

export function unisolateVm(
  transport: Transport,
  input: MessageInitShape<(typeof unisolateVmMethod)["input"]>,
) {
  return callUnaryMethod(transport, unisolateVmMethod, input);
}

export function useUnisolateVm() {
  const invalidate = useInvalidateAfterVmChange();
  return useMutation(unisolateVmMethod, { onSuccess: () => invalidate() });
}
