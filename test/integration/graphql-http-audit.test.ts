import { serverAudits } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack.js";

/** GraphQL over HTTP conformance of the live server: every MUST passes. */
describe("graphql-http server audits", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
  });
  afterAll(() => stack?.close());

  it("passes every MUST audit", async () => {
    const audits = serverAudits({ url: () => stack.url, fetchFn: fetch });
    const failures: string[] = [];
    for (const audit of audits) {
      const result = await audit.fn();
      if (audit.name.startsWith("MUST") && result.status !== "ok") failures.push(`${audit.name}: ${result.reason}`);
    }
    expect(audits.filter((a) => a.name.startsWith("MUST")).length).toBeGreaterThan(10);
    expect(failures).toEqual([]);
  });
});
