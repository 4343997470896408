// Edit a pool (operators): prefix, description, tenant and rate limit, sent whole with
// UpdatePool; the server's invalid_argument is shown at the field its path names.
import type { Ipv6Pool } from "@metald/proto";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { problemAt } from "../../../shared/api/field-error";
import { Button } from "../../../shared/ui/button";
import { TextField } from "../../../shared/ui/field";
import { useUpdatePool } from "../api/update-pool";

const FIELDS = ["prefix", "description", "tenant_id", "rate_limit"] as const;
type PoolField = (typeof FIELDS)[number];

export function PoolEditForm({
  pool,
  onDone,
  onCancel,
}: {
  pool: Ipv6Pool;
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const update = useUpdatePool();
  const [values, setValues] = useState<Record<PoolField, string>>({
    prefix: pool.prefix,
    description: pool.description,
    tenant_id: pool.tenantId,
    rate_limit: String(pool.rateLimit),
  });
  const [problem, setProblem] = useState<{ field?: PoolField; text: string }>();
  const controls = useRef(new Map<PoolField, HTMLInputElement | null>());
  useEffect(() => {
    if (problem?.field) controls.current.get(problem.field)?.focus();
  }, [problem]);

  const field = (name: PoolField) => ({
    name,
    value: values[name],
    error: problem?.field === name ? problem.text : undefined,
    ref: (el: HTMLInputElement | null) => {
      controls.current.set(name, el);
    },
    onChange: (e: { target: { value: string } }) => {
      setValues((v) => ({ ...v, [name]: e.target.value }));
      if (problem?.field === name) setProblem(undefined);
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const rate = values.rate_limit.trim();
    if (!/^\d+$/.test(rate)) {
      setProblem({ field: "rate_limit", text: "must be a whole number (0: no limit)" });
      return;
    }
    setProblem(undefined);
    update.mutate(
      {
        pool: {
          id: pool.id,
          prefix: values.prefix.trim(),
          description: values.description,
          tenantId: values.tenant_id.trim(),
          rateLimit: Number(rate),
        },
      },
      {
        onSuccess: () => onDone(`Pool ${pool.id} saved.`),
        onError: (error) => setProblem(problemAt(error, "pool", FIELDS)),
      },
    );
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-label={`Edit pool ${pool.id}`}>
      <TextField label="Prefix" {...field("prefix")} hint="e.g. 2001:db8:100::/48" />
      <TextField label="Description" {...field("description")} />
      <TextField
        label="Tenant"
        {...field("tenant_id")}
        hint="Empty: a pool shared by every tenant."
      />
      <TextField
        label="Rate limit"
        inputMode="numeric"
        {...field("rate_limit")}
        hint="Allocations per hour; 0: no limit."
      />
      {problem && !problem.field && (
        <p className="notice notice--error" role="alert">
          {problem.text}
        </p>
      )}
      <div className="form__actions">
        <Button type="submit" tone="primary" busy={update.isPending}>
          Save pool
        </Button>
        <Button onClick={onCancel} disabled={update.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
