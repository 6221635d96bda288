import { parseValue as parseAst } from "graphql";
import { describe, expect, it } from "vitest";
import { BytesScalar, SignedBytesScalar } from "../../src/schema/scalars/bytes.scalar.js";

const MAX = Number.MAX_SAFE_INTEGER;
const scalars = [
  { scalar: BytesScalar, signed: false },
  { scalar: SignedBytesScalar, signed: true },
];

describe.each(scalars)("$scalar.name", ({ scalar, signed }) => {
  describe("serialize", () => {
    it.each([
      { name: "zero", value: 0, expected: 0 },
      { name: "a number", value: 10737418240, expected: 10737418240 },
      { name: "MAX_SAFE_INTEGER", value: MAX, expected: MAX },
      { name: "a bigint (from PostgreSQL bigint)", value: 10737418240n, expected: 10737418240 },
      { name: "bigint MAX_SAFE_INTEGER", value: BigInt(MAX), expected: MAX },
      { name: "a numeric string (pg returns int8 as string)", value: "10737418240", expected: 10737418240 },
      { name: "numeric string with leading zeros", value: "007", expected: 7 },
      { name: "string MAX_SAFE_INTEGER", value: String(MAX), expected: MAX },
    ])("$name → $expected", ({ value, expected }) => {
      expect(scalar.serialize(value)).toBe(expected);
    });

    it.each([
      { name: "a float", value: 1.5 },
      { name: "NaN", value: Number.NaN },
      { name: "Infinity", value: Number.POSITIVE_INFINITY },
      { name: "MAX_SAFE_INTEGER + 1", value: MAX + 1 },
      { name: "1e20", value: 1e20 },
      { name: "bigint above MAX_SAFE_INTEGER", value: 2n ** 53n },
      { name: "string above MAX_SAFE_INTEGER", value: "9007199254740993" },
      { name: "a non-numeric string", value: "ten" },
      { name: "an empty string", value: "" },
      { name: "a decimal string", value: "1.5" },
      { name: "an exponent string", value: "1e3" },
      { name: "a hex string", value: "0x10" },
      { name: "a string with spaces", value: " 1" },
      { name: "a string with a plus sign", value: "+1" },
      { name: "a boolean", value: true },
      { name: "null", value: null },
      { name: "undefined", value: undefined },
      { name: "an object", value: { bytes: 1 } },
    ])("$name → refused", ({ value }) => {
      expect(() => scalar.serialize(value)).toThrow(new RegExp(`^${scalar.name} must be`));
    });

    it.each([
      { name: "-1", value: -1 },
      { name: "-MAX_SAFE_INTEGER", value: -MAX },
      { name: "negative bigint", value: -4096n },
      { name: "negative numeric string", value: "-4096" },
    ])(`negative $name → ${signed ? "accepted" : "refused"}`, ({ value }) => {
      if (signed) expect(scalar.serialize(value)).toBe(Number(value));
      else expect(() => scalar.serialize(value)).toThrow(/non-negative safe integer/);
    });
  });

  describe("parseValue (JSON variables)", () => {
    it.each([0, 1, 4096, MAX])("%i → accepted", (value) => {
      expect(scalar.parseValue(value)).toBe(value);
    });

    it.each([
      { name: "a numeric string", value: "4096" },
      { name: "a bigint", value: 4096n },
      { name: "a float", value: 1.5 },
      { name: "MAX_SAFE_INTEGER + 1", value: MAX + 1 },
      { name: "NaN", value: Number.NaN },
      { name: "null", value: null },
      { name: "a boolean", value: false },
    ])("$name → refused", ({ value }) => {
      expect(() => scalar.parseValue(value)).toThrow(TypeError);
    });

    it(`-1 → ${signed ? "accepted" : "refused"}`, () => {
      if (signed) expect(scalar.parseValue(-1)).toBe(-1);
      else expect(() => scalar.parseValue(-1)).toThrow(TypeError);
    });
  });

  describe("parseLiteral (inline query values)", () => {
    it.each([
      { source: "0", expected: 0 },
      { source: "4096", expected: 4096 },
      { source: String(MAX), expected: MAX },
    ])("INT $source → $expected", ({ source, expected }) => {
      expect(scalar.parseLiteral(parseAst(source))).toBe(expected);
    });

    it.each([
      { name: "FLOAT", source: "1.5" },
      { name: "FLOAT with exponent", source: "1e3" },
      { name: "STRING", source: '"4096"' },
      { name: "BOOLEAN", source: "true" },
      { name: "NULL", source: "null" },
      { name: "ENUM", source: "BIG" },
      { name: "LIST", source: "[1]" },
      { name: "OBJECT", source: "{bytes: 1}" },
      { name: "INT above MAX_SAFE_INTEGER", source: "9007199254740993" },
      { name: "huge INT", source: "123456789012345678901234567890" },
    ])("$name $source → refused", ({ source }) => {
      expect(() => scalar.parseLiteral(parseAst(source))).toThrow(TypeError);
    });

    it(`INT -1 → ${signed ? "accepted" : "refused"}`, () => {
      if (signed) expect(scalar.parseLiteral(parseAst("-1"))).toBe(-1);
      else expect(() => scalar.parseLiteral(parseAst("-1"))).toThrow(/non-negative/);
    });
  });
});

describe("scalar names are part of the schema", () => {
  it.each([
    { scalar: BytesScalar, name: "Bytes" },
    { scalar: SignedBytesScalar, name: "SignedBytes" },
  ])("$name", ({ scalar, name }) => {
    expect(scalar.name).toBe(name);
    expect(scalar.description).toMatch(/bytes/);
  });
});
