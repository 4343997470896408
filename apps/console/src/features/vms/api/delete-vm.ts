// VmService.DeleteVm: the VM is terminated and its host resources removed; its history stays.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, useMutation } from "@connectrpc/connect-query";
import { VmService } from "@metald/proto";
import { useInvalidateAfterVmChange } from "./invalidate-after-vm-change";

export const deleteVmMethod = VmService.method.deleteVm;

export function deleteVm(
  transport: Transport,
  input: MessageInitShape<(typeof deleteVmMethod)["input"]>,
) {
  return callUnaryMethod(transport, deleteVmMethod, input);
}

export function useDeleteVm() {
  const invalidate = useInvalidateAfterVmChange();
  return useMutation(deleteVmMethod, { onSuccess: () => invalidate() });
}
