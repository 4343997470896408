// Every schema change, in order. One list serves PGlite and PostgreSQL.
import { initialSchema } from "./0001-initial-schema.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial-schema", sql: initialSchema },
];
