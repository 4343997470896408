// The create form: the common fields, a few security switches (each can leave the choice to the
// profile and tenant layers), and the server's invalid_argument shown at the field it names.
import { useNavigate } from "@tanstack/react-router";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { errorText, fieldProblemOf } from "../../../shared/api/field-error";
import { Button } from "../../../shared/ui/button";
import { ChoiceField, SelectField, TextField } from "../../../shared/ui/field";
import { useCreateVm } from "../api/create-vm";
import { useTenantIds } from "../api/list-tenant-ids";
import {
  type CreateVmField,
  type CreateVmValues,
  EMPTY_VALUES,
  fieldOfPath,
  type Switch,
  toCreateVmRequest,
} from "./create-vm-request";

const SWITCH_OPTIONS = [
  { value: "default", label: "Profile default" },
  { value: "on", label: "On" },
  { value: "off", label: "Off" },
] as const satisfies readonly { value: Switch; label: string }[];

const SWITCHES: readonly { field: CreateVmField; legend: string }[] = [
  { field: "raGuard", legend: "Router Advertisement guard" },
  { field: "sourceGuard", legend: "Source guard (only the VM's own addresses)" },
  { field: "blockExtensionHeaders", legend: "Block IPv6 extension headers" },
  { field: "securityLogging", legend: "Security event logging" },
];

export function CreateVmForm({ fixedTenant }: { fixedTenant?: string }) {
  const navigate = useNavigate();
  const createVm = useCreateVm();
  const tenantIds = useTenantIds(fixedTenant === undefined);
  const [values, setValues] = useState<CreateVmValues>({
    ...EMPTY_VALUES,
    tenantId: fixedTenant ?? "",
  });
  const [problem, setProblem] = useState<{ field?: CreateVmField; text: string }>();
  const controls = useRef(new Map<CreateVmField, HTMLElement | null>());

  // The field with the problem gets the focus, so its message is read out with it.
  useEffect(() => {
    if (problem?.field) controls.current.get(problem.field)?.focus();
  }, [problem]);

  const set =
    <K extends CreateVmField>(field: K) =>
    (value: CreateVmValues[K]) => {
      setValues((v) => ({ ...v, [field]: value }));
      if (problem?.field === field) setProblem(undefined);
    };
  const errorOf = (field: CreateVmField) => (problem?.field === field ? problem.text : undefined);
  const refOf = (field: CreateVmField) => (el: HTMLElement | null) => {
    controls.current.set(field, el);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    createVm.mutate(toCreateVmRequest(values), {
      onSuccess: ({ vmId }) => navigate({ to: "/vms/$vmId", params: { vmId } }),
      onError: (error) => {
        const named = fieldProblemOf(error);
        const field = named && fieldOfPath(named.path);
        setProblem(
          field && named
            ? { field, text: `${named.problem} (${named.path})` }
            : { text: errorText(error) },
        );
      },
    });
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Create a VM">
      <div className="form__row">
        <TextField
          ref={refOf("tenantId")}
          label="Tenant"
          name="tenant"
          list="create-vm-tenants"
          value={values.tenantId}
          disabled={fixedTenant !== undefined}
          onChange={(e) => set("tenantId")(e.target.value)}
          error={errorOf("tenantId")}
          hint={fixedTenant ? "Your token's tenant." : "Empty: the host's default tenant."}
        />
        <datalist id="create-vm-tenants">
          {tenantIds.map((id) => (
            <option key={id} value={id} />
          ))}
        </datalist>
        <TextField
          ref={refOf("vmId")}
          label="VM id (optional)"
          name="vm_id"
          placeholder="vm-web-1"
          value={values.vmId}
          onChange={(e) => set("vmId")(e.target.value)}
          error={errorOf("vmId")}
          hint="Empty: generated."
        />
      </div>
      <TextField
        ref={refOf("address")}
        label="IPv6 address"
        name="address"
        placeholder="2001:db8:1000::10/64"
        spellCheck={false}
        value={values.address}
        onChange={(e) => set("address")(e.target.value)}
        error={errorOf("address")}
        hint="With its prefix length. Empty: one from the tenant's pool (or the default pool)."
      />
      <div className="form__row">
        <SelectField
          ref={refOf("profile")}
          label="Security profile"
          name="profile"
          value={values.profile}
          onChange={(e) => set("profile")(e.target.value as CreateVmValues["profile"])}
          error={errorOf("profile")}
        >
          <option value="">Host default</option>
          <option value="HIGH">High</option>
          <option value="MEDIUM">Medium</option>
          <option value="LOW">Low</option>
        </SelectField>
        <TextField
          ref={refOf("applicationTier")}
          label="Application tier (optional)"
          name="application_tier"
          placeholder="frontend"
          value={values.applicationTier}
          onChange={(e) => set("applicationTier")(e.target.value)}
          error={errorOf("applicationTier")}
        />
      </div>
      <div className="form__row">
        <TextField
          ref={refOf("vcpus")}
          label="vCPUs"
          name="vcpus"
          inputMode="numeric"
          value={values.vcpus}
          onChange={(e) => set("vcpus")(e.target.value)}
          error={errorOf("vcpus")}
        />
        <TextField
          ref={refOf("memoryMib")}
          label="Memory (MiB)"
          name="memory"
          inputMode="numeric"
          value={values.memoryMib}
          onChange={(e) => set("memoryMib")(e.target.value)}
          error={errorOf("memoryMib")}
        />
      </div>
      {SWITCHES.map(({ field, legend }) => (
        <ChoiceField
          key={field}
          legend={legend}
          name={field}
          value={values[field] as Switch}
          options={SWITCH_OPTIONS}
          onChange={(v) => set(field)(v as never)}
          error={errorOf(field)}
        />
      ))}
      {problem && !problem.field && (
        <p className="notice notice--error" role="alert">
          {problem.text}
        </p>
      )}
      <div className="form__actions">
        <Button type="submit" tone="primary" busy={createVm.isPending}>
          Create VM
        </Button>
      </div>
    </form>
  );
}
