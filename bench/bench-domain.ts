import fs from "node:fs/promises";
import path from "node:path";
import { Lane } from "../src/jobs/queue/job-catalog.js";
import { ok, type Stack } from "../test/support/stack.js";
import { waitFor } from "../test/support/wait-for.js";

/** A storage domain in the stack's root, registered and scanned; `scan()` rescans and waits. */
export interface BenchDomain {
  id: string;
  dir: string;
  /** Rescans, then waits for the domain's queue to be idle: a scan queues an estimate job, which must not run into a timing. */
  scan(): Promise<void>;
  /** Nothing waiting or running on the domain's queues (a sparsify job also refreshes its estimate after it ends). */
  idle(): Promise<void>;
  /** Disk id by alias (the image's file name without extension). */
  diskId(alias: string): Promise<string>;
}

/** Registers `<stack.root>/<name>` (created if missing) as a storage domain and scans it. */
export async function addBenchDomain(stack: Stack, name: string): Promise<BenchDomain> {
  const dir = path.join(stack.root, name);
  await fs.mkdir(dir, { recursive: true });
  const { addStorageDomain } = ok<any>(
    await stack.gql(`mutation($n: String!, $p: String!) { addStorageDomain(input: { name: $n, path: $p }) { id } }`, {
      n: name,
      p: dir,
    }),
  );
  const id = addStorageDomain.id as string;
  // Both lanes: scans and estimates run on the ops lane. Watching the sparsify lane alone let the estimate a
  // scan queues run into bench:sparsify's timed gateway runs (its CPU and I/O counted as the job's).
  const queues = Object.values(Lane).map((lane) => stack.gateway.services.queues.get(id, lane));
  const busy = async () =>
    (
      await Promise.all(queues.map((q) => q.getJobCounts("active", "waiting", "delayed", "prioritized", "waiting-children")))
    ).flatMap(Object.values);
  const idle = async () => {
    await waitFor(async () => (await busy()).every((n) => n === 0), { interval: 50, what: `idle queues of ${dir}` });
  };
  const scan = async () => {
    const { scanStorageDomain } = ok<any>(
      await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState scanError } }`, { id }),
    );
    if (scanStorageDomain.scanState !== "DONE")
      throw new Error(`scan of ${dir} ended ${scanStorageDomain.scanState}: ${scanStorageDomain.scanError ?? ""}`);
    await idle();
  };
  await scan();
  const diskId = async (alias: string) => {
    const { disks } = ok<any>(await stack.gql(`{ disks(first: 100) { edges { node { id alias } } } }`));
    const found = disks.edges.find((e: any) => e.node.alias === alias);
    if (!found) throw new Error(`no disk ${alias} in ${dir}: ${JSON.stringify(disks.edges)}`);
    return found.node.id as string;
  };
  return { id, dir, scan, idle, diskId };
}
