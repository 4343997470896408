// VmService.BootVm: the VM's new state.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, useMutation } from "@connectrpc/connect-query";
import { VmService } from "@metald/proto";
import { useInvalidateAfterVmChange } from "./invalidate-after-vm-change";

export const bootVmMethod = VmService.method.bootVm;

export function bootVm(
  transport: Transport,
  input: MessageInitShape<(typeof bootVmMethod)["input"]>,
) {
  return callUnaryMethod(transport, bootVmMethod, input);
}

export function useBootVm() {
  const invalidate = useInvalidateAfterVmChange();
  return useMutation(bootVmMethod, { onSuccess: () => invalidate() });
}
