import { describe, expect, it } from "vitest";
import { GRAPHIQL_FETCHER_JS } from "../../src/server/graphiql-fetcher.js";

/** The browser script, loaded into a stand-in window (it only defines functions at load). */
function load(): {
  chosenOperation: (p: { query: string; operationName?: string | null }) => { type: string; name: string | null };
} {
  const window: Record<string, any> = {};
  new Function("window", GRAPHIQL_FETCHER_JS)(window);
  return window.SparsifyGraphiQL;
}

describe("GraphiQL fetcher: which operation runs", () => {
  const { chosenOperation } = load();
  it.each([
    ["shorthand query", "{ disks { totalCount } }", null, { type: "query", name: null }],
    [
      "named subscription",
      'subscription Watch { sparsifyJob(id: "x") { state } }',
      null,
      { type: "subscription", name: "Watch" },
    ],
    ["anonymous subscription", "subscription { sparsifyJobEvents { id } }", null, { type: "subscription", name: null }],
    [
      "the named one of several",
      "query A { me { name } }\nsubscription B { sparsifyJobEvents { id } }",
      "B",
      { type: "subscription", name: "B" },
    ],
    [
      "a stale name with one operation in the text",
      "subscription Watch { sparsifyJobEvents { id } }",
      "Disks",
      { type: "subscription", name: "Watch" },
    ],
    [
      "keywords in comments and strings do not count",
      '# subscription X\nquery Q { disk(id: "subscription S { }") { id } }',
      null,
      { type: "query", name: "Q" },
    ],
    ["fields named like keywords do not count", "query Q { subscription { query } }", null, { type: "query", name: "Q" }],
    [
      "fragments are skipped",
      "fragment F on Disk { id }\nsubscription S { sparsifyJobEvents { id } }",
      null,
      { type: "subscription", name: "S" },
    ],
    [
      "variables with defaults",
      'subscription S($f: SparsifyJobEventFilter = { diskId: "x" }) { sparsifyJobEvents(filter: $f) { id } }',
      null,
      { type: "subscription", name: "S" },
    ],
  ])("%s", (_name, query, operationName, expected) => {
    expect(chosenOperation({ query, operationName })).toEqual(expected);
  });
});
