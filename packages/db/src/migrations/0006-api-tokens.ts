// API bearer tokens: only a hash of each secret is kept; a token is found by its public id.
export const apiTokens = `
CREATE TABLE api_tokens (
  id          text PRIMARY KEY,
  name        text NOT NULL DEFAULT '',
  role        text NOT NULL CHECK (role IN ('operator', 'tenant', 'auditor')),
  tenant_id   text,
  secret_hash text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  CHECK ((role = 'tenant') = (tenant_id IS NOT NULL))
);
`;
