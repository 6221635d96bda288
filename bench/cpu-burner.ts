import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

/**
 * Spins in child processes until stopped: whole cores spin all the time, the fraction left over
 * spins that share of every 100 ms. bench:fanout's slow-consumer case runs one of 1.5 cores on a
 * 2-core machine, so the server and its clients fight for what is left.
 */
export async function startCpuBurner(cores: number): Promise<{ stop(): Promise<void> }> {
  const shares = [...Array.from({ length: Math.floor(cores) }, () => 1), ...(cores % 1 ? [cores % 1] : [])];
  const children: ChildProcess[] = shares.map((share) =>
    spawn(
      process.execPath,
      [
        "-e",
        `const share = ${share}; const pause = new Int32Array(new SharedArrayBuffer(4));
       for (;;) { const t = Date.now(); while (Date.now() - t < 100 * share);
         if (share < 1) Atomics.wait(pause, 0, 0, 100 * (1 - share)); }`,
      ],
      { stdio: "ignore" },
    ),
  );
  return {
    async stop() {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, "exit");
          child.kill("SIGKILL");
          await exited;
        }),
      );
    },
  };
}
