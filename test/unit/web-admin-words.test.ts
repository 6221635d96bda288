import { describe, expect, it } from "vitest";
import { localPathProblem, parseTypes, removalConsequences } from "../../web/src/admin/admin-words.js";

describe("administration rules in words", () => {
  it.each([
    ["", null],
    ["/srv/vmstore", null],
    ["srv/vmstore", "The path must be absolute (start with /)."],
    ["/srv//vmstore", /normalised/],
    ["/srv/../etc", /normalised/],
    ["/srv/./x", /normalised/],
    ["/srv/vmstore/", /normalised/],
  ])("localPathProblem(%j)", (path, expected) => {
    const problem = localPathProblem(path);
    if (expected instanceof RegExp) expect(problem).toMatch(expected);
    else expect(problem).toBe(expected);
  });

  it("lists what removing a domain does, with its disk count and schedule", () => {
    expect(removalConsequences({ diskCount: 3, schedule: { cron: "0 2 * * *" } })).toEqual([
      "Its 3 disks leave the inventory, with their VM attachments; past jobs stay in the history.",
      "Its periodic sparsify schedule is removed.",
      "Image files are never deleted: the directory stays as it is on the hosts.",
      "The gateway refuses while a job is queued or running on one of its disks.",
    ]);
    expect(removalConsequences({ diskCount: 1, schedule: null })[0]).toBe(
      "Its 1 disk leaves the inventory, with their VM attachments; past jobs stay in the history.",
    );
    expect(removalConsequences({ schedule: null }).slice(0, 2)).toEqual([
      "Its disks leave the inventory, with their VM attachments; past jobs stay in the history.",
      "It has no schedule to remove.",
    ]);
  });

  it("reads event types from free text", () => {
    expect(parseTypes(" job_queued, SCAN_FAILED  token_created ")).toEqual(["JOB_QUEUED", "SCAN_FAILED", "TOKEN_CREATED"]);
    expect(parseTypes(" , ")).toEqual([]);
  });
});
