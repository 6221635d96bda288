import { randomUUID } from "node:crypto";
import {
  getIntrospectionQuery,
  type IntrospectionField,
  type IntrospectionInputTypeRef,
  type IntrospectionInputValue,
  type IntrospectionOutputTypeRef,
  type IntrospectionQuery,
  type IntrospectionSchema,
  type IntrospectionType,
} from "graphql";

export type OperationKind = "query" | "mutation" | "subscription";

/** A path into an operation's variables: the argument name, then input fields or list indexes. */
export type ValuePath = readonly (string | number)[];

/** A scalar or enum value in an operation's variables. */
export interface Leaf {
  path: ValuePath;
  /** The scalar or enum type's name. */
  type: string;
  kind: "SCALAR" | "ENUM";
}

export interface BuildOptions {
  /** Fill optional arguments and optional input fields too (default: required ones only). */
  optional?: boolean;
  override?: ValueOverride;
}

/** One operation on one root field, with variables for every required argument. */
export interface BuiltOperation {
  kind: OperationKind;
  field: string;
  query: string;
  variables: Record<string, unknown>;
  /** Every scalar and enum the variables hold. */
  leaves: Leaf[];
  /** The String and ID leaves: where hostile text is aimed. */
  textLeaves: Leaf[];
}

/** Overrides the value generated at a path; return undefined to keep the default. */
export type ValueOverride = (path: ValuePath, scalar: string) => unknown;

const FUTURE = () => new Date(Date.now() + 7 * 86_400_000);

/**
 * A value for each scalar the schema uses. A scalar missing here fails loudly, so a new scalar
 * in the schema cannot silently shrink the sweeps that rely on this builder.
 */
const SCALAR_VALUES: Record<string, () => unknown> = {
  ID: () => randomUUID(),
  String: () => "x",
  Int: () => 1,
  Float: () => 1,
  Boolean: () => true,
  DateTime: () => FUTURE().toISOString(),
  DateTimeISO: () => FUTURE().toISOString(),
  Date: () => FUTURE().toISOString().slice(0, 10),
  Bytes: () => 1,
  SignedBytes: () => 1,
  JSONObject: () => ({}),
};

const isRequired = (arg: IntrospectionInputValue) => arg.type.kind === "NON_NULL" && arg.defaultValue == null;
const TEXT = new Set(["String", "ID"]);

/** Builds minimal valid operations for every root field of a live schema, from its introspection. */
export class OperationBuilder {
  private readonly types: Map<string, IntrospectionType>;

  constructor(readonly schema: IntrospectionSchema) {
    this.types = new Map(schema.types.map((t) => [t.name, t]));
  }

  /** Introspects the live schema through `gql` (which must be allowed to introspect). */
  static async load(gql: (query: string) => Promise<{ data?: unknown; errors?: unknown[] }>): Promise<OperationBuilder> {
    const res = await gql(getIntrospectionQuery());
    if (res.errors?.length || !res.data) throw new Error(`introspection failed: ${JSON.stringify(res.errors)}`);
    return new OperationBuilder((res.data as IntrospectionQuery).__schema);
  }

  type(name: string): IntrospectionType {
    const type = this.types.get(name);
    if (!type) throw new Error(`the schema has no type ${name}`);
    return type;
  }

  /** Every root field of one operation type (none when the schema lacks that root). */
  rootFields(kind: OperationKind): IntrospectionField[] {
    const root = { query: this.schema.queryType, mutation: this.schema.mutationType, subscription: this.schema.subscriptionType }[
      kind
    ];
    if (!root) return [];
    const type = this.type(root.name);
    if (type.kind !== "OBJECT") throw new Error(`root ${root.name} is not an object type`);
    return [...type.fields];
  }

  /** A minimal valid operation on `kind`.`field`: required arguments only, `__typename` or a bare scalar selected. */
  build(kind: OperationKind, fieldName: string, opts: BuildOptions = {}): BuiltOperation {
    const field = this.rootFields(kind).find((f) => f.name === fieldName);
    if (!field) throw new Error(`${kind} has no field ${fieldName}`);
    const leaves: Leaf[] = [];
    const args = opts.optional ? field.args : field.args.filter(isRequired);
    const variables: Record<string, unknown> = {};
    for (const arg of args) variables[arg.name] = this.value(arg.type, [arg.name], leaves, opts);
    const declarations = args.length ? `(${args.map((a) => `$${a.name}: ${typeRefText(a.type)}`).join(", ")})` : "";
    const call = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(", ")})` : "";
    const query = `${kind} Sweep_${field.name}${declarations} { ${field.name}${call}${this.selection(field.type)} }`;
    return { kind, field: field.name, query, variables, leaves, textLeaves: leaves.filter((l) => TEXT.has(l.type)) };
  }

  private selection(ref: IntrospectionOutputTypeRef): string {
    const named = namedType(ref);
    const kind = this.type(named).kind;
    return kind === "SCALAR" || kind === "ENUM" ? "" : " { __typename }";
  }

  private value(ref: IntrospectionInputTypeRef, path: ValuePath, leaves: Leaf[], opts: BuildOptions): unknown {
    if (ref.kind === "NON_NULL") return this.value(ref.ofType, path, leaves, opts);
    if (ref.kind === "LIST") return [this.value(ref.ofType, [...path, 0], leaves, opts)];
    const type = this.type(ref.name);
    if (type.kind === "ENUM") {
      leaves.push({ path, type: type.name, kind: "ENUM" });
      return type.enumValues[0]!.name;
    }
    if (type.kind === "INPUT_OBJECT") {
      const object: Record<string, unknown> = {};
      for (const f of opts.optional ? type.inputFields : type.inputFields.filter(isRequired))
        object[f.name] = this.value(f.type, [...path, f.name], leaves, opts);
      return object;
    }
    if (type.kind !== "SCALAR") throw new Error(`${type.name} is not an input type`);
    leaves.push({ path, type: type.name, kind: "SCALAR" });
    const given = opts.override?.(path, type.name);
    if (given !== undefined) return given;
    const make = SCALAR_VALUES[type.name];
    if (!make) throw new Error(`operation-builder has no value for scalar ${type.name}: add one to SCALAR_VALUES`);
    return make();
  }
}

function namedType(ref: IntrospectionOutputTypeRef | IntrospectionInputTypeRef): string {
  return ref.kind === "NON_NULL" || ref.kind === "LIST" ? namedType(ref.ofType) : ref.name;
}

function typeRefText(ref: IntrospectionInputTypeRef): string {
  if (ref.kind === "NON_NULL") return `${typeRefText(ref.ofType)}!`;
  if (ref.kind === "LIST") return `[${typeRefText(ref.ofType)}]`;
  return ref.name;
}

/** A deep copy of `variables` with `value` at `path`. */
export function withValue(variables: Record<string, unknown>, path: ValuePath, value: unknown): Record<string, unknown> {
  const copy = structuredClone(variables);
  let node: any = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]!] = value;
  return copy;
}
