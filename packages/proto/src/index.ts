// The vmprovisioner.v1 API: generated messages and service descriptors.
export * from "./gen/vmprovisioner/v1/compliance_service_pb.js";
export * from "./gen/vmprovisioner/v1/config_history_service_pb.js";
export * from "./gen/vmprovisioner/v1/host_service_pb.js";
export * from "./gen/vmprovisioner/v1/ipv6_pool_service_pb.js";
export * from "./gen/vmprovisioner/v1/ipv6_security_pb.js";
export * from "./gen/vmprovisioner/v1/security_event_service_pb.js";
export * from "./gen/vmprovisioner/v1/tenant_service_pb.js";
export * from "./gen/vmprovisioner/v1/vm_pb.js";
export * from "./gen/vmprovisioner/v1/vm_service_pb.js";
