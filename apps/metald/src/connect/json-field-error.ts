// Finds the first field of a JSON request body that does not fit its message schema, and
// names it by path ("config.ipv6_config.security.profile"), as the caller spelled it.
import { type DescEnum, type DescMessage, ScalarType } from "@bufbuild/protobuf";

const INT32 = [ScalarType.INT32, ScalarType.SINT32, ScalarType.SFIXED32];
const UINT32 = [ScalarType.UINT32, ScalarType.FIXED32];
const INT64 = [ScalarType.INT64, ScalarType.SINT64, ScalarType.SFIXED64];
const UINT64 = [ScalarType.UINT64, ScalarType.FIXED64];

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return JSON.stringify(value);
}

function integerProblem(value: unknown, min: bigint, max: bigint): string | undefined {
  let n: bigint;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return `${value} is not an integer`;
    n = BigInt(value);
  } else if (typeof value === "string" && /^-?[0-9]+$/.test(value)) {
    n = BigInt(value);
  } else {
    return `${describe(value)} is not an integer`;
  }
  if (n < min)
    return min === 0n ? `${n} is negative; this field is unsigned` : `${n} is below ${min}`;
  if (n > max) return `${n} is above ${max}`;
  return undefined;
}

function scalarProblem(type: ScalarType, value: unknown): string | undefined {
  if (INT32.includes(type)) return integerProblem(value, -(2n ** 31n), 2n ** 31n - 1n);
  if (UINT32.includes(type)) return integerProblem(value, 0n, 2n ** 32n - 1n);
  if (INT64.includes(type)) return integerProblem(value, -(2n ** 63n), 2n ** 63n - 1n);
  if (UINT64.includes(type)) return integerProblem(value, 0n, 2n ** 64n - 1n);
  switch (type) {
    case ScalarType.STRING:
      return typeof value === "string" ? undefined : `${describe(value)} is not a string`;
    case ScalarType.BOOL:
      return typeof value === "boolean" ? undefined : `${describe(value)} is not true or false`;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return typeof value === "number" || typeof value === "string"
        ? undefined
        : `${describe(value)} is not a number`;
    case ScalarType.BYTES:
      return typeof value === "string" ? undefined : `${describe(value)} is not base64 text`;
    default:
      return undefined;
  }
}

function enumProblem(desc: DescEnum, value: unknown, path: string): string | undefined {
  if (typeof value === "string" && desc.values.some((v) => v.name === value)) return undefined;
  if (typeof value === "number" && desc.values.some((v) => v.number === value)) return undefined;
  return `${path}: ${describe(value)} is not one of ${desc.values.map((v) => v.name).join(", ")}`;
}

// One value of a singular field or one item of a list field.
function valueProblem(
  kind: "scalar" | "enum" | "message",
  field: { scalar?: ScalarType; enum?: DescEnum; message?: DescMessage },
  value: unknown,
  path: string,
): string | undefined {
  if (kind === "scalar" && field.scalar !== undefined) {
    const problem = scalarProblem(field.scalar, value);
    return problem && `${path}: ${problem}`;
  }
  if (kind === "enum" && field.enum) return enumProblem(field.enum, value, path);
  if (kind === "message" && field.message) return findJsonFieldError(field.message, value, path);
  return undefined;
}

/** Returns "<path>: <problem>" for the first misfit, or undefined when the body fits. */
export function findJsonFieldError(
  schema: DescMessage,
  json: unknown,
  path = "",
): string | undefined {
  // Well-known types have their own JSON forms; protobuf-es reports on those well enough.
  if (schema.typeName.startsWith("google.protobuf.")) return undefined;
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return `${path || "body"}: expected an object, got ${describe(json)}`;
  }
  for (const [key, value] of Object.entries(json)) {
    const field = schema.fields.find((f) => f.name === key || f.jsonName === key);
    const fieldPath = join(path, key);
    if (!field) {
      return `${fieldPath}: unknown field (${schema.typeName} has ${schema.fields.map((f) => f.name).join(", ")})`;
    }
    if (value === null) continue;
    if (field.fieldKind === "list") {
      if (!Array.isArray(value)) return `${fieldPath}: expected a list, got ${describe(value)}`;
      for (const [i, item] of value.entries()) {
        const problem = valueProblem(field.listKind, field, item, `${fieldPath}[${i}]`);
        if (problem) return problem;
      }
    } else if (field.fieldKind === "map") {
      if (typeof value !== "object" || Array.isArray(value))
        return `${fieldPath}: expected an object, got ${describe(value)}`;
    } else {
      const problem = valueProblem(field.fieldKind, field, value, fieldPath);
      if (problem) return problem;
    }
  }
  return undefined;
}
