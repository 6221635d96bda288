import { describe, expect, it } from "vitest";
import { globLiteral } from "../../src/host/storage-probe.js";

/** The storage probe's find matches its start with -path: the path must be a pattern of itself. */
describe("globLiteral", () => {
  it.each([
    ["/srv/images", "/srv/images"],
    ["/srv/a[1]", "/srv/a\\[1\\]"],
    ["/srv/*", "/srv/\\*"],
    ["/srv/?x", "/srv/\\?x"],
    ["/srv/back\\slash", "/srv/back\\\\slash"],
    ["/srv/with space/ünï", "/srv/with space/ünï"],
    ["./-rf", "./-rf"],
  ])("%s → %s", (text, pattern) => {
    expect(globLiteral(text)).toBe(pattern);
  });
});
