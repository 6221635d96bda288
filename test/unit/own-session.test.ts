import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findExecutable } from "../../src/host/find-executable.js";
import { deathSignalWrapper, dieWithService } from "../../src/host/own-session.js";
import { toolPath } from "../../src/host/tools.js";

const sources = (fs.readdirSync("src", { recursive: true }) as string[])
  .filter((f) => f.endsWith(".ts"))
  .map((f) => ({ file: path.join("src", f), text: fs.readFileSync(path.join("src", f), "utf8") }));

/** The text of every call `name(…)` in `text`, parentheses balanced (comments are not calls). */
function calls(text: string, name: RegExp): string[] {
  const code = text.replace(/^\s*(\*|\/\/).*$/gm, "");
  const found: string[] = [];
  for (const match of code.matchAll(name)) {
    let depth = 0;
    let end = match.index + match[0].length - 1;
    for (; end < code.length; end++) {
      if (code[end] === "(") depth++;
      if (code[end] === ")" && --depth === 0) break;
    }
    found.push(code.slice(match.index, end + 1));
  }
  return found;
}

describe("every child the service starts runs in a session of its own (own-session.ts)", () => {
  it("each execa/spawn call in src passes OWN_SESSION", () => {
    const sites = sources.flatMap(({ file, text }) =>
      calls(text, /(?<![\w.])(?:execa|spawn)\(/g).map((call) => ({ file, call: call.replace(/\s+/g, " ") })),
    );
    // The known sites: scan's find, storage probes, virsh, virt-sparsify, qemu tools, parsers, fusermount…
    expect(sites.length).toBeGreaterThanOrEqual(15);
    const without = sites.filter(({ call }) => !call.includes("...OWN_SESSION"));
    expect(without.map(({ file, call }) => `${file}: ${call.slice(0, 120)}`)).toEqual([]);
  });

  it("nothing starts a child another way (no exec, execFile, fork, *Sync, execaNode, $``)", () => {
    const other =
      /(?<![\w.])(?:execFile|execFileSync|execSync|spawnSync|fork|execaSync|execaNode|execaCommand)\(|\$`|[^\w.]exec\(/;
    const offenders = sources.filter(({ text }) => /from "(?:node:)?child_process"|from "execa"/.test(text) && other.test(text));
    expect(offenders.map((s) => s.file)).toEqual([]);
    // Only the shared option says "detached": one place to change how children are started.
    const detached = sources.filter(({ file, text }) => /\bdetached:/.test(text) && !file.endsWith("own-session.ts"));
    expect(detached.map((s) => s.file)).toEqual([]);
  });
});

describe.runIf(toolPath("setpriv") !== undefined)("dieWithService", () => {
  const setpriv = toolPath("setpriv")!;
  const find = findExecutable("find")!;
  it.each([
    ["an absolute program", find, [setpriv, ["--pdeathsig=KILL", "--", find, "-x"]]],
    ["a bare name, resolved on PATH", "find", [setpriv, ["--pdeathsig=KILL", "--", find, "-x"]]],
    ["a missing absolute program: left to fail with ENOENT", "/no/such/tool", ["/no/such/tool", ["-x"]]],
    ["a missing bare name: left to fail with ENOENT", "no-such-tool-here", ["no-such-tool-here", ["-x"]]],
  ])("%s", (_, file, expected) => {
    expect(dieWithService(file as string, ["-x"])).toEqual(expected);
  });

  it("passes the signal asked for; behind another wrapper (prlimit) the same prefix", () => {
    expect(dieWithService(find, [], "TERM")[1].slice(0, 2)).toEqual(["--pdeathsig=TERM", "--"]);
    expect(deathSignalWrapper("TERM")).toEqual([setpriv, "--pdeathsig=TERM", "--"]);
  });
});
