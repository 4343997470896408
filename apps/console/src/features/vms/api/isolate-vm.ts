// VmService.IsolateVm: quarantine (operators only); the reason goes into the audit trail and the VM's event.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, useMutation } from "@connectrpc/connect-query";
import { VmService } from "@metald/proto";
import { useInvalidateAfterVmChange } from "./invalidate-after-vm-change";

export const isolateVmMethod = VmService.method.isolateVm;

export function isolateVm(
  transport: Transport,
  input: MessageInitShape<(typeof isolateVmMethod)["input"]>,
) {
  return callUnaryMethod(transport, isolateVmMethod, input);
}

export function useIsolateVm() {
  const invalidate = useInvalidateAfterVmChange();
  return useMutation(isolateVmMethod, { onSuccess: () => invalidate() });
}
