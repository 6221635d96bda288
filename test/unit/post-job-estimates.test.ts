import { describe, expect, it } from "vitest";
import { PostJobEstimates, type EstimateRequest } from "../../src/jobs/worker/post-job-estimates.js";

/** A refresh that waits until released, recording what it was asked. */
function gatedRefresh() {
  const calls: EstimateRequest[] = [];
  const gates: (() => void)[] = [];
  const refresh = (r: EstimateRequest) => {
    calls.push(r);
    return new Promise<void>((resolve) => gates.push(resolve));
  };
  const releaseAll = () => gates.splice(0).forEach((g) => g());
  return { calls, refresh, releaseAll };
}

describe("PostJobEstimates", () => {
  it("returns before the refresh runs, and batches disks that end together", async () => {
    const g = gatedRefresh();
    const e = new PostJobEstimates(g.refresh, () => {});
    e.add("d1", "a", "u");
    e.add("d1", "b", "u");
    expect(g.calls).toHaveLength(0); // the job's end did not wait for anything
    await new Promise((r) => setImmediate(r));
    expect(g.calls).toEqual([{ storageDomainId: "d1", diskIds: ["a", "b"], requestedBy: "u" }]);
    g.releaseAll();
    await e.idle();
    expect(g.calls).toHaveLength(1);
  });

  it("never overlaps refreshes of one domain: disks ending meanwhile go into the next one", async () => {
    const g = gatedRefresh();
    const e = new PostJobEstimates(g.refresh, () => {});
    e.add("d1", "a", "u");
    await new Promise((r) => setImmediate(r));
    e.add("d1", "b", "u");
    e.add("d1", "c", "u");
    e.add("d2", "x", "v"); // another domain runs at once
    await new Promise((r) => setImmediate(r));
    expect(g.calls.map((c) => c.diskIds)).toEqual([["a"], ["x"]]);
    g.releaseAll();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(g.calls.map((c) => c.diskIds)).toEqual([["a"], ["x"], ["b", "c"]]);
    g.releaseAll();
    await e.idle();
    expect(g.calls).toHaveLength(3);
  });

  it("reports a failed refresh and keeps going", async () => {
    const errors: string[] = [];
    let n = 0;
    const e = new PostJobEstimates(
      async () => {
        if (n++ === 0) throw new Error("db gone");
      },
      (err, r) => errors.push(`${r.diskIds.join()}: ${err.message}`),
    );
    e.add("d1", "a", "u");
    await e.idle();
    e.add("d1", "b", "u");
    await e.idle();
    expect(errors).toEqual(["a: db gone"]);
    expect(n).toBe(2);
  });
});
