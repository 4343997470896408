// VmService.CreateVm: the new VM's id and state.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, useMutation } from "@connectrpc/connect-query";
import { VmService } from "@metald/proto";
import { useInvalidateAfterVmChange } from "./invalidate-after-vm-change";

export const createVmMethod = VmService.method.createVm;

export function createVm(
  transport: Transport,
  input: MessageInitShape<(typeof createVmMethod)["input"]>,
) {
  return callUnaryMethod(transport, createVmMethod, input);
}

export function useCreateVm() {
  const invalidate = useInvalidateAfterVmChange();
  return useMutation(createVmMethod, { onSuccess: () => invalidate() });
}
