import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, type Cursor } from "../../src/services/cursor.js";

const b64 = (text: string) => Buffer.from(text).toString("base64url");

const expectBadInput = (fn: () => unknown) => {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(GraphQLError);
  const err = caught as GraphQLError;
  expect(err.extensions.code).toBe("BAD_USER_INPUT");
  expect(err.extensions.field).toBe("after");
  expect(err.message).toMatch(/cursor/);
};

describe("encodeCursor / decodeCursor", () => {
  it.each<{ name: string; cursor: Cursor }>([
    { name: "string value", cursor: { value: "web01", id: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11" } },
    { name: "number value", cursor: { value: 10737418240, id: "id-1" } },
    { name: "zero", cursor: { value: 0, id: "id-0" } },
    { name: "negative number", cursor: { value: -5, id: "x" } },
    { name: "empty strings", cursor: { value: "", id: "" } },
    { name: "unicode and quotes", cursor: { value: 'disque "é" 💾', id: "ü" } },
    { name: "ISO date string", cursor: { value: "2025-01-31T12:00:00.000Z", id: "j" } },
  ])("round trip: $name", ({ cursor }) => {
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/); // URL-safe, no padding
    expect(decodeCursor(encoded)).toEqual(cursor);
  });

  it("a number value stays a number and a numeric string stays a string", () => {
    expect(decodeCursor(encodeCursor({ value: 42, id: "a" })).value).toBe(42);
    expect(decodeCursor(encodeCursor({ value: "42", id: "a" })).value).toBe("42");
  });

  it.each([
    { name: "empty string", raw: "" },
    { name: "garbage", raw: "!!!not a cursor!!!" },
    { name: "non-base64 characters", raw: "%%%%" },
    { name: "base64 of plain text", raw: b64("hello") },
    { name: "base64 of a JSON object", raw: b64(JSON.stringify({ value: "a", id: "b" })) },
    { name: "base64 of an empty array", raw: b64("[]") },
    { name: "base64 of a one-element array", raw: b64('["a"]') },
    { name: "base64 of a three-element array", raw: b64('["a","b","c"]') },
    { name: "id is a number", raw: b64("[1,2]") },
    { name: "value is null", raw: b64('[null,"id"]') },
    { name: "value is a boolean", raw: b64('[true,"id"]') },
    { name: "value is an object", raw: b64('[{"$gt":1},"id"]') },
    { name: "value is an array", raw: b64('[[1],"id"]') },
    { name: "JSON null", raw: b64("null") },
    { name: "JSON string", raw: b64('"abc"') },
    { name: "truncated JSON", raw: b64('["a","b"') },
    { name: "a valid cursor with a character cut off", raw: encodeCursor({ value: "web01", id: "abc" }).slice(0, -2) },
    { name: "SQL-injection-shaped text", raw: "' OR 1=1 --" },
  ])("$name → BAD_USER_INPUT on field after", ({ raw }) => {
    expectBadInput(() => decodeCursor(raw));
  });
});

describe("decodeCursor for before", () => {
  it("names the argument it came in", () => {
    let caught: unknown;
    try {
      decodeCursor("nope", "before");
    } catch (e) {
      caught = e;
    }
    expect((caught as GraphQLError).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "before" });
    expect((caught as GraphQLError).message).toBe("before is not a cursor returned by this API");
  });
});
