import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import "reflect-metadata";
import { describe, expect, it } from "vitest";
import { emitSchemaFile, printGatewaySchema } from "../../src/server/print-schema.js";
import { makeTempDir } from "../support/temp-dir.js";
import { compareSchemas } from "../support/schema-compat.js";

const read = (name: string) => readFile(new URL(`../../${name}`, import.meta.url), "utf8");

/**
 * schema.graphql is what the server builds (npm run build writes it); schema.released.graphql is
 * the last contract clients were promised. See the README, "The schema as an artifact".
 */
describe("schema artifact", () => {
  it("schema.graphql is the schema the gateway builds (run `npm run build` and commit it)", async () => {
    const built = await printGatewaySchema();
    const checkedIn = await read("schema.graphql");
    expect(checkedIn, "schema.graphql is stale: run `npm run build` and commit schema.graphql").toBe(built);
  });

  it("no breaking change against schema.released.graphql (or the baseline is updated in the same change)", async () => {
    const { breaking } = compareSchemas(await read("schema.released.graphql"), await printGatewaySchema());
    expect(
      breaking,
      "Breaking changes against schema.released.graphql. Keep the old field (@deprecated) or, if the break is deliberate, " +
        "copy schema.graphql to schema.released.graphql in this same change",
    ).toEqual([]);
  });

  it("the released baseline still has the deprecated names (blockers, warnings) beside the new ones", async () => {
    const released = await read("schema.released.graphql");
    expect(released).toMatch(/blockers: \[SparsifyIssue!\]! @deprecated\(reason: "Use sparsifyBlockers"\)/);
    expect(released).toMatch(/sparsifyWarnings: \[SparsifyIssue!\]!/);
  });
});

describe("emitSchemaFile", () => {
  it("writes a stale file when building, and in check mode (CI) leaves it and reports it stale", async () => {
    const dir = await makeTempDir("schema-emit-");
    try {
      const file = path.join(dir.path, "schema.graphql");
      await writeFile(file, "type Query { old: Int }\n");
      expect(await emitSchemaFile(file, "type Query { new: Int }\n", { check: true })).toBe(false);
      expect(await readFile(file, "utf8")).toBe("type Query { old: Int }\n");
      expect(await emitSchemaFile(file, "type Query { new: Int }\n", { check: false })).toBe(false);
      expect(await readFile(file, "utf8")).toBe("type Query { new: Int }\n");
      expect(await emitSchemaFile(file, "type Query { new: Int }\n", { check: true })).toBe(true);
    } finally {
      await dir.remove();
    }
  });
});

describe("compareSchemas", () => {
  const base = `type Query { disk: Disk }
type Disk { id: ID! blockers: [String!]! @deprecated(reason: "Use sparsifyBlockers") sparsifyBlockers: [String!]! phase: Phase! }
enum Phase { QUEUED DONE }`;

  it.each([
    {
      name: "removing a deprecated field",
      after: base.replace(' blockers: [String!]! @deprecated(reason: "Use sparsifyBlockers")', ""),
      breaking: /FIELD_REMOVED: Disk.blockers/,
    },
    {
      name: "renaming a field",
      after: base.replace(" sparsifyBlockers:", " reasons:"),
      breaking: /FIELD_REMOVED: Disk.sparsifyBlockers/,
    },
    {
      name: "a field becoming nullable",
      after: base.replace("phase: Phase!", "phase: Phase"),
      breaking: /FIELD_CHANGED_KIND: Disk.phase/,
    },
    { name: "an enum losing a value", after: base.replace("QUEUED DONE", "DONE"), breaking: /VALUE_REMOVED_FROM_ENUM: QUEUED/ },
    {
      name: "a field turning from enum to String",
      after: base.replace("phase: Phase!", "phase: String!"),
      breaking: /FIELD_CHANGED_KIND: Disk.phase/,
    },
  ])("$name is breaking", ({ after, breaking }) => {
    const changes = compareSchemas(base, after).breaking;
    expect(
      changes.some((c) => breaking.test(c)),
      changes.join("\n"),
    ).toBe(true);
  });

  it.each([
    { name: "adding a field", after: base.replace("phase: Phase!", "phase: Phase! estimateDetail: String") },
    { name: "deprecating a field", after: base.replace("phase: Phase!", 'phase: Phase! @deprecated(reason: "x")') },
    { name: "adding an enum value (a new job error code)", after: base.replace("QUEUED DONE", "QUEUED RUN_STILL_ALIVE DONE") },
  ])("$name is not breaking", ({ after }) => {
    expect(compareSchemas(base, after).breaking).toEqual([]);
  });

  it("adding an enum value is reported as dangerous: clients must tolerate unknown values", () => {
    expect(compareSchemas(base, base.replace("QUEUED DONE", "QUEUED STORAGE_UNAVAILABLE DONE")).dangerous.join()).toMatch(
      /STORAGE_UNAVAILABLE/,
    );
  });
});
