// What the provisioner tests share: a logger that drops everything and a CreateVm request built
// from the JSON configuration the API accepts.
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { type CreateVmRequest, CreateVmRequestSchema, VmConfigSchema } from "@metald/proto";
import type { FastifyBaseLogger } from "fastify";

export const quietLogger: FastifyBaseLogger = {
  level: "silent",
  fatal: () => undefined,
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
  silent: () => undefined,
  child: () => quietLogger,
};

export function createVmRequest(config: JsonValue, vmId = ""): CreateVmRequest {
  return create(CreateVmRequestSchema, { vmId, config: fromJson(VmConfigSchema, config) });
}
