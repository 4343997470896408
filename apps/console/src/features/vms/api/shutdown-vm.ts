// VmService.ShutdownVm: the VM's new state.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, useMutation } from "@connectrpc/connect-query";
import { VmService } from "@metald/proto";
import { useInvalidateAfterVmChange } from "./invalidate-after-vm-change";

export const shutdownVmMethod = VmService.method.shutdownVm;

export function shutdownVm(
  transport: Transport,
  input: MessageInitShape<(typeof shutdownVmMethod)["input"]>,
) {
  return callUnaryMethod(transport, shutdownVmMethod, input);
}

export function useShutdownVm() {
  const invalidate = useInvalidateAfterVmChange();
  return useMutation(shutdownVmMethod, { onSuccess: () => invalidate() });
}
