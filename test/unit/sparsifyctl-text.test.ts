import { describe, expect, it } from "vitest";
import { graphqlEndpoint } from "../../src/cli/sparsifyctl/client-config.js";
import { ExitCode, worstExitCode } from "../../src/cli/sparsifyctl/exit-codes.js";
import { humanBytes, progressLine, renderTable } from "../../src/cli/sparsifyctl/text-format.js";

describe("sparsifyctl text", () => {
  it.each([
    [null, "-"],
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [209_715_200, "200.0 MiB"],
    [1024 ** 3 * 1.5, "1.5 GiB"],
    [-209_715_200, "-200.0 MiB"],
  ])("humanBytes(%s) = %s", (bytes, text) => expect(humanBytes(bytes)).toBe(text));

  it("aligns columns, numbers to the right", () => {
    expect(
      renderTable(
        ["NAME", "SIZE"],
        [
          ["web", "1.0 GiB"],
          ["database", "2 B"],
        ],
        new Set([1]),
      ),
    ).toBe(["NAME         SIZE", "web       1.0 GiB", "database      2 B"].join("\n"));
  });

  it.each([
    [{ state: "QUEUED", phase: "QUEUED", progress: 0 }, "web  [------------]   0%  QUEUED"],
    [{ state: "RUNNING", phase: "TRIMMING", progress: 50 }, "web  [######------]  50%  TRIMMING"],
    [
      { state: "SUCCEEDED", phase: "DONE", progress: 100, outcomeMessage: "Reclaimed 200 MiB" },
      "web  [############] 100%  SUCCEEDED: Reclaimed 200 MiB",
    ],
    [
      { state: "FAILED", phase: "CHECKING", progress: 2, error: { code: "IMAGE_IN_USE", message: "held" } },
      "web  [------------]   2%  FAILED IMAGE_IN_USE: held",
    ],
    [{ state: "CANCELLED", phase: "LAUNCHING", progress: 150 }, "web  [############] 100%  CANCELLED"],
  ])("progress line %#", (job, line) => expect(progressLine({ label: "web", ...job }, 3, 12)).toBe(line));

  it.each([
    [[], ExitCode.OK],
    [[ExitCode.OK, ExitCode.JOB_FAILED], ExitCode.JOB_FAILED],
    [[ExitCode.JOB_FAILED, ExitCode.REFUSED], ExitCode.REFUSED],
    [[ExitCode.REFUSED, ExitCode.UNREACHABLE, ExitCode.USAGE], ExitCode.UNREACHABLE],
  ])("worst exit code of %j is %s", (codes, code) => expect(worstExitCode(codes)).toBe(code));

  it.each([
    ["http://h:4000", "http://h:4000/graphql"],
    ["http://h:4000/", "http://h:4000/graphql"],
    ["https://h/sparsify/graphql", "https://h/sparsify/graphql"],
  ])("endpoint of %s", (raw, url) => expect(graphqlEndpoint(raw)).toBe(url));

  it.each(["ftp://h", "not a url"])("refuses %s as a usage error", (raw) => {
    expect(() => graphqlEndpoint(raw)).toThrow(expect.objectContaining({ exitCode: ExitCode.USAGE }));
  });
});

describe("sparsifyctl progress board", () => {
  const sink = () => {
    const writes: string[] = [];
    return { writes, stream: { write: (s: string) => writes.push(s), isTTY: false } as unknown as NodeJS.WriteStream };
  };

  it("on a terminal redraws the block of bars in place, one line per job", async () => {
    const { ProgressBoard } = await import("../../src/cli/sparsifyctl/progress-board.js");
    const { writes, stream } = sink();
    const board = new ProgressBoard(stream, true);
    board.update("1", { label: "web", state: "RUNNING", phase: "LAUNCHING", progress: 10 });
    board.update("2", { label: "db", state: "QUEUED", phase: "QUEUED", progress: 0 });
    board.update("1", { label: "web", state: "RUNNING", phase: "TRIMMING", progress: 60 });
    expect(writes[0]).not.toContain("\x1b[1A");
    expect(writes[1]).toMatch(/^\x1b\[1A\x1b\[2Kweb .*LAUNCHING\n\x1b\[2Kdb .*QUEUED\n$/);
    expect(writes[2]).toMatch(/^\x1b\[2A\x1b\[2Kweb .*60%  TRIMMING\n\x1b\[2Kdb /);
    expect(board.allDone).toBe(false);
  });

  it("into a pipe prints a line only when a job's state or phase changes", async () => {
    const { ProgressBoard } = await import("../../src/cli/sparsifyctl/progress-board.js");
    const { writes, stream } = sink();
    const board = new ProgressBoard(stream, false);
    for (const progress of [10, 20, 30]) board.update("1", { label: "web", state: "RUNNING", phase: "TRIMMING", progress });
    board.update("1", { label: "web", state: "SUCCEEDED", phase: "DONE", progress: 100, outcomeMessage: "Reclaimed 1 MiB" });
    expect(writes).toHaveLength(2);
    expect(writes.join("")).not.toContain("\x1b[");
    expect(board.allDone).toBe(true);
  });
});
