// The raw JSON mode: a CreateVm body as the guides write it (either configuration form, the
// seed bodies as they are), parsed with the API's own schema and sent through the same client.
import { fromJsonString } from "@bufbuild/protobuf";
import { CreateVmRequestSchema } from "@metald/proto";
import { useNavigate } from "@tanstack/react-router";
import { type ChangeEvent, type FormEvent, useState } from "react";
import { errorText } from "../../../shared/api/field-error";
import { Button } from "../../../shared/ui/button";
import { TextAreaField } from "../../../shared/ui/field";
import { useCreateVm } from "../api/create-vm";

const EXAMPLE = `{
  "config": {
    "tenant_id": "acme",
    "ipv6_config": {
      "enabled": true,
      "addresses": ["2001:db8:1000::10/64"],
      "security": { "profile": "SECURITY_PROFILE_HIGH" }
    }
  }
}`;

export function CreateVmJson() {
  const navigate = useNavigate();
  const createVm = useCreateVm();
  const [text, setText] = useState(EXAMPLE);
  const [problem, setProblem] = useState<string>();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    let request: ReturnType<typeof fromJsonString<typeof CreateVmRequestSchema>>;
    try {
      request = fromJsonString(CreateVmRequestSchema, text);
    } catch (error) {
      setProblem(`Not a CreateVm body: ${errorText(error)}`);
      return;
    }
    setProblem(undefined);
    createVm.mutate(request, {
      onSuccess: ({ vmId }) => navigate({ to: "/vms/$vmId", params: { vmId } }),
      onError: (error) => setProblem(errorText(error)),
    });
  };
  const load = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (file) setText(await file.text());
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Create a VM from JSON">
      <TextAreaField
        label="CreateVm request (JSON)"
        name="body"
        spellCheck={false}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setProblem(undefined);
        }}
        error={problem}
        hint="Both forms of the guides: config.ipv6_config or config.network[].ipv6 with security_policy."
      />
      <div className="field">
        <label className="field__label" htmlFor="create-vm-json-file">
          Or load a file
        </label>
        <input
          id="create-vm-json-file"
          type="file"
          accept="application/json,.json"
          onChange={load}
        />
      </div>
      <div className="form__actions">
        <Button type="submit" tone="primary" busy={createVm.isPending}>
          Create VM
        </Button>
      </div>
    </form>
  );
}
