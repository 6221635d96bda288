import { describe, expect, it } from "vitest";
import { copyText } from "../../src/services/copy-rows.js";

/** COPY's text format: what a hostile file name or message must become so it arrives unchanged. */
describe("copyText", () => {
  it.each<[string, string | number | boolean | null, string]>([
    ["NULL", null, "\\N"],
    ["a plain path", "vm-1/disk.qcow2", "vm-1/disk.qcow2"],
    ["a number", 10737418240, "10737418240"],
    ["a boolean", false, "false"],
    ["a tab (the column separator)", "a\tb.raw", "a\\tb.raw"],
    ["a newline (the row separator)", "a\nb.raw", "a\\nb.raw"],
    ["a carriage return", "a\rb.raw", "a\\rb.raw"],
    ["a backslash (the escape)", "a\\N.raw", "a\\\\N.raw"],
    ["the text \\N itself is not NULL", "\\N", "\\\\N"],
    ["JSON with quotes and an escaped newline", '{"m":"x\\ny"}', '{"m":"x\\\\ny"}'],
  ])("%s", (_name, value, expected) => {
    expect(copyText(value)).toBe(expected);
  });
});
