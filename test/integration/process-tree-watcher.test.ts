import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { descendants, processRef, processTree, processTreeWatcher, type ProcessRef } from "../../src/host/process-tree.js";

const pids = (tree: ProcessRef[]) => tree.map((p) => p.pid).sort((a, b) => a - b);

/** The run watch looks at the tree twice a second: later looks read only new pids, and must still see everything. */
describe("processTreeWatcher", () => {
  it("finds children forked after its first look, as a full scan does, and drops the ones that are gone", async () => {
    // Each line on stdin moves the parent on: fork a child, then kill and reap it.
    const parent = spawn("sh", ["-c", "read a; sleep 31 & read b; kill $!; wait; read c"], {
      stdio: ["pipe", "ignore", "ignore"],
    });
    // Then waits until a full scan shows it done (a fixed pause was too short on a loaded CI).
    const step = async (processes: number) => {
      parent.stdin!.write("\n");
      await expect.poll(async () => (await processTree(parent.pid!)).length, { timeout: 10_000, interval: 50 }).toBe(processes);
    };
    try {
      const look = processTreeWatcher(parent.pid!);
      await sleep(100);
      const first = await look();
      expect(pids(first)).toEqual([parent.pid]);
      await step(2);
      const second = await look();
      expect(second).toHaveLength(2); // the sleep forked after the first look
      expect(pids(second)).toEqual(pids(await processTree(parent.pid!)));
      await step(1);
      const third = await look();
      expect(pids(third)).toEqual([parent.pid]);
      expect(pids(third)).toEqual(pids(await processTree(parent.pid!)));
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("descendants: a child with a lower pid than its parent (pid wrap-around) is still found", () => {
    const all = [
      { pid: 5, ppid: 900, startTime: "3" },
      { pid: 900, ppid: 100, startTime: "2" },
      { pid: 100, ppid: 1, startTime: "1" },
      { pid: 7, ppid: 1, startTime: "4" },
    ];
    expect(pids(descendants(100, all))).toEqual([5, 100, 900]);
  });

  it("processRef: one process's own stat file gives the same identity a full scan does; a gone pid gives none", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const [scanned] = (await processTree(child.pid!)).filter((p) => p.pid === child.pid);
      expect(scanned).toBeDefined();
      expect(await processRef(child.pid!)).toEqual(scanned);
    } finally {
      child.kill("SIGKILL");
    }
    await new Promise((resolve) => child.once("exit", resolve));
    expect(await processRef(child.pid!)).toBeUndefined();
  });
});
