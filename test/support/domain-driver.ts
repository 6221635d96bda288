import fs from "node:fs/promises";
import { ok, type Stack } from "./stack.js";
import { waitForOpsIdle } from "./queue-idle.js";
import { waitFor } from "./wait-for.js";

/** Drives one storage domain through the API: scan, estimate, sparsify to the end, read disks. */
export function domainDriver(getStack: () => Stack, domainId: () => string) {
  const gql: Stack["gql"] = (query, variables, headers) => getStack().gql(query, variables, headers);
  const ids = new Map<string, string>();
  const disk = async (alias: string) =>
    ok<any>(
      await gql(
        "query($d: ID!) { disk(id: $d) { alias status sparsifiable blockers { code message } " +
          "reclaimableEstimate estimateUnavailableReason } }",
        { d: ids.get(alias) },
      ),
    ).disk;
  return {
    ids,
    disk,
    async scan() {
      ok(await gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domainId() }));
      const list = ok<any>(await gql(`{ disks(first: 100) { edges { node { id alias } } } }`));
      for (const e of list.disks.edges) ids.set(e.node.alias, e.node.id);
    },
    estimate: () => gql(`mutation($id: ID!) { estimateStorageDomain(id: $id) { id } }`, { id: domainId() }).then(ok),
    /**
     * Polls a disk until `matches` holds: estimateStorageDomain returns after SCAN_WAIT_MS even
     * when the estimate is still running on a loaded host.
     */
    until: (alias: string, matches: (d: any) => boolean, what = `disk ${alias}`) =>
      waitFor(
        async () => {
          const d = await disk(alias);
          return matches(d) ? d : null;
        },
        { timeout: 90_000, what },
      ),
    /** The domain's scans and estimates have ended: none can race a change to an image. */
    settled: () => waitForOpsIdle(getStack(), domainId()),
    /**
     * The estimate the worker queues after a scan has run for this disk, and nothing else is queued
     * (it must not race a swap: the worker's own scan of a new domain can queue another estimate).
     */
    async estimated(alias: string) {
      await waitFor(async () => (await disk(alias)).reclaimableEstimate !== null, {
        timeout: 60_000,
        what: `estimate of ${alias}`,
      });
      await waitForOpsIdle(getStack(), domainId());
    },
    /** Runs sparsifyDisk to its end (the worker takes it) and returns the stored job. */
    async sparsifyToEnd(alias: string) {
      const job = ok<any>(await gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: ids.get(alias) })).sparsifyDisk;
      return waitFor(
        async () => {
          const j = ok<any>(
            await gql(`query($j: ID!) { sparsifyJob(id: $j) { state error { code message } } }`, { j: job.id }),
          ).sparsifyJob;
          return j.state === "QUEUED" || j.state === "RUNNING" ? null : j;
        },
        { timeout: 120_000, what: `job of ${alias} to end` },
      );
    },
  };
}

/** Overwrites an image in place (same inode) with the bytes of another: a change after the scan. */
export async function overwriteWith(target: string, source: string): Promise<void> {
  const bytes = await fs.readFile(source);
  const fh = await fs.open(target, "r+");
  try {
    // New bytes first, then the length: a concurrent reader (an estimate, a scan) sees the old or
    // the new header, never an empty file (which reads as FORMAT_MISMATCH and sticks as a refusal).
    await fh.write(bytes, 0, bytes.length, 0);
    await fh.truncate(bytes.length);
  } finally {
    await fh.close();
  }
}
