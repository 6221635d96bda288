import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { parseId, parseName } from "../../src/services/ids.js";

const catchError = (fn: () => unknown): GraphQLError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GraphQLError);
    return e as GraphQLError;
  }
  throw new Error("expected a GraphQLError, got no error");
};

describe("parseId", () => {
  it.each([
    { name: "lowercase v4", value: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11", expected: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11" },
    {
      name: "uppercase → lowercased",
      value: "5B0C7A2E-0D7E-4A4E-9D55-2B8C1F0F3B11",
      expected: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11",
    },
    {
      name: "mixed case → lowercased",
      value: "5b0C7a2E-0d7e-4A4e-9D55-2b8c1F0f3B11",
      expected: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11",
    },
    { name: "nil UUID", value: "00000000-0000-0000-0000-000000000000", expected: "00000000-0000-0000-0000-000000000000" },
  ])("$name → $expected", ({ value, expected }) => {
    expect(parseId(value)).toBe(expected);
  });

  it.each([
    { name: "empty", value: "" },
    { name: "a number-like string", value: "123" },
    { name: "no dashes", value: "5b0c7a2e0d7e4a4e9d552b8c1f0f3b11" },
    { name: "braces", value: "{5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11}" },
    { name: "urn prefix", value: "urn:uuid:5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11" },
    { name: "non-hex letter", value: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b1g" },
    { name: "one digit short", value: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b1" },
    { name: "one digit long", value: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b111" },
    { name: "leading space", value: " 5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11" },
    { name: "trailing newline", value: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11\n" },
    { name: "two UUIDs on two lines", value: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11\n5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11" },
    { name: "SQL injection: quote OR", value: "' OR '1'='1" },
    { name: "SQL injection after a valid UUID", value: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11'; DROP TABLE disk; --" },
    { name: "SQL comment", value: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11--" },
    { name: "overlong (10 000 chars)", value: "a".repeat(10_000) },
  ])("$name → BAD_USER_INPUT", ({ value }) => {
    const err = catchError(() => parseId(value));
    expect(err.extensions.code).toBe("BAD_USER_INPUT");
    expect(err.extensions.field).toBe("id");
    expect(err.message).toMatch(/^id must be a UUID, got /);
  });

  it("an overlong id is quoted in the message but cut to 80 characters", () => {
    const err = catchError(() => parseId("x".repeat(10_000)));
    expect(err.message).toBe(`id must be a UUID, got ${JSON.stringify("x".repeat(80))}`);
  });

  it("the field name is used in the message and extensions", () => {
    const err = catchError(() => parseId("nope", "diskId"));
    expect(err.message).toMatch(/^diskId must be a UUID/);
    expect(err.extensions.field).toBe("diskId");
  });

  it.each([
    { name: "a number", value: 123 },
    { name: "null", value: null },
    { name: "undefined", value: undefined },
    { name: "an object", value: { id: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11" } },
  ])("a non-string ($name) from an untyped caller → BAD_USER_INPUT, not a TypeError", ({ value }) => {
    expect(catchError(() => parseId(value as unknown as string)).extensions.code).toBe("BAD_USER_INPUT");
  });
});

describe("parseName", () => {
  it.each([
    { name: "plain", value: "web01", expected: "web01" },
    { name: "surrounding spaces trimmed", value: "  web 01  ", expected: "web 01" },
    { name: "surrounding tabs and newlines trimmed", value: "\t\nweb01\r\n", expected: "web01" },
    { name: "one character", value: "a", expected: "a" },
    { name: "100 characters", value: "n".repeat(100), expected: "n".repeat(100) },
    { name: "100 characters plus surrounding spaces", value: `   ${"n".repeat(100)}   `, expected: "n".repeat(100) },
    { name: "unicode", value: "Données de prod é", expected: "Données de prod é" },
    { name: "quotes and punctuation", value: "O'Brien's \"disk\" #1", expected: "O'Brien's \"disk\" #1" },
  ])("$name → accepted", ({ value, expected }) => {
    expect(parseName(value)).toBe(expected);
  });

  it.each([
    { name: "empty", value: "", problem: /1–100 characters/ },
    { name: "only spaces", value: "    ", problem: /1–100 characters/ },
    { name: "101 characters", value: "n".repeat(101), problem: /1–100 characters/ },
    { name: "very long", value: "n".repeat(100_000), problem: /1–100 characters/ },
    { name: "inner newline", value: "web\n01", problem: /control characters/ },
    { name: "inner tab", value: "web\t01", problem: /control characters/ },
    { name: "NUL", value: "web\u000001", problem: /control characters/ },
    { name: "escape sequence", value: "web\u001b[31m01", problem: /control characters/ },
    { name: "DEL", value: "web\u007f01", problem: /control characters/ },
  ])("$name → BAD_USER_INPUT", ({ value, problem }) => {
    const err = catchError(() => parseName(value));
    expect(err.extensions.code).toBe("BAD_USER_INPUT");
    expect(err.extensions.field).toBe("name");
    expect(err.message).toMatch(problem);
  });

  it("the field name is used in the message and extensions", () => {
    const err = catchError(() => parseName("", "alias"));
    expect(err.message).toMatch(/^alias must be/);
    expect(err.extensions.field).toBe("alias");
  });

  it("a non-string from an untyped caller → BAD_USER_INPUT", () => {
    expect(catchError(() => parseName(42 as unknown as string)).extensions.code).toBe("BAD_USER_INPUT");
  });
});
