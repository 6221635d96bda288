import { describe, expect, it } from "vitest";
import { assertImageToolsPresent, HostToolsMissingError, type HostTool } from "../../src/host/tools.js";

/** Which missing tools stop a host worker from starting, and what it says. */
describe("assertImageToolsPresent", () => {
  it.each<[string, HostTool[], string | null]>([
    ["nothing missing", [], null],
    ["tools some features need (the estimator refuses, jobs fail with a code)", ["setpriv", "unshare", "virt-sparsify"], null],
    [
      "prlimit: no qemu tool runs unbounded",
      ["prlimit"],
      "prlimit not found on its PATH. Fix: install it (`apt-get install util-linux`",
    ],
    ["qemu-img", ["filefrag", "qemu-img"], "qemu-img not found on its PATH. Fix: install it (`apt-get install qemu-utils`"],
    [
      "both, one package each",
      ["qemu-img", "prlimit"],
      "qemu-img and prlimit not found on its PATH. Fix: install it (`apt-get install qemu-utils util-linux`",
    ],
  ])("%s", (_name, missing, message) => {
    if (message === null) return expect(() => assertImageToolsPresent(missing)).not.toThrow();
    expect(() => assertImageToolsPresent(missing)).toThrow(HostToolsMissingError);
    expect(() => assertImageToolsPresent(missing)).toThrow(`This host worker cannot read images: ${message}`);
  });
});
