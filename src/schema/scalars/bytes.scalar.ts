import { GraphQLScalarType, Kind, type ValueNode } from "graphql";

function makeByteScalar(name: string, signed: boolean): GraphQLScalarType<number, number> {
  const check = (value: unknown): number => {
    const n =
      typeof value === "bigint" ? Number(value) : typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || (!signed && n < 0)) {
      throw new TypeError(`${name} must be a ${signed ? "" : "non-negative "}safe integer number of bytes, got ${String(value)}`);
    }
    return n;
  };
  return new GraphQLScalarType<number, number>({
    name,
    description: `An exact number of bytes: a ${signed ? "signed" : "non-negative"} safe integer, serialised as a JSON number.`,
    serialize: check,
    parseValue: (value) => {
      if (typeof value !== "number") throw new TypeError(`${name} must be a JSON number`);
      return check(value);
    },
    parseLiteral: (ast: ValueNode) => {
      if (ast.kind !== Kind.INT) throw new TypeError(`${name} must be an integer literal`);
      return check(Number(ast.value));
    },
  });
}

export const BytesScalar = makeByteScalar("Bytes", false);
/** reclaimedBytes can be negative: a snapshot leaf grows when trimmed ranges become zero clusters. */
export const SignedBytesScalar = makeByteScalar("SignedBytes", true);
