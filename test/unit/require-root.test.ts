import { afterEach, describe, expect, it, vi } from "vitest";
import { requireRoot } from "../support/require-tool.js";

/** The root-only suites must fail, not skip, when CI runs them as another user. */
describe("requireRoot", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });
  const runAs = (uid: number) => vi.spyOn(process, "geteuid").mockReturnValue(uid);
  const quiet = () => vi.spyOn(console, "warn").mockImplementation(() => undefined);

  it.each([
    [0, "true", true],
    [0, "", true],
    [1000, "", false],
  ])("euid %i, CI=%j: %s", (uid, ci, expected) => {
    runAs(uid);
    vi.stubEnv("CI", ci);
    const warn = quiet();
    expect(requireRoot("a test")).toBe(expected);
    expect(warn).toHaveBeenCalledTimes(expected ? 0 : 1);
  });

  it("not root under CI=true: throws while the file is collected, naming what needs root", () => {
    runAs(1000);
    vi.stubEnv("CI", "true");
    expect(() => requireRoot("mounting FUSE")).toThrow(
      /not running as root \(mounting FUSE\).*CI=true: failing instead of skipping/,
    );
  });
});
