import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../../config.js";
import { JobErrorCode } from "../../domain/job-error-code.js";
import { directProver } from "../../host/direct/direct-prover.js";
import type { JobStore } from "../../services/job-store.js";
import { runDirectJob, type DirectJobInput, type DirectJobResult } from "./direct-job.js";
import { guardDiskChain } from "./guarded-chain.js";
import { JobFailure } from "./job-failure.js";
import type { Target, TargetChecks } from "./sparsify-target.js";

/** What the DIRECT branch takes from the processor. */
export interface DirectBranchDeps {
  db: DataSource;
  config: Config;
  hostName: string;
  store: JobStore;
  checks: TargetChecks;
}

/** The DIRECT branch (direct-job.ts), on the chain the path guard proves once more right now. */
export async function runDirectBranch(
  d: DirectBranchDeps,
  t: Target,
  jobId: string,
  attempt: number,
  before: number,
  signal: AbortSignal,
  publish: DirectJobInput["publish"],
  flush: () => Promise<void>,
  log: Logger,
): Promise<DirectJobResult> {
  const { chain, identities } = await guardDiskChain(d.db, t.domain, t.own, d.config.STORAGE_ROOTS);
  // Formats come from the recorded chain: one layer more or less than it is a changed chain.
  if (chain.length !== t.chain.layers.length)
    throw new JobFailure(
      JobErrorCode.CHAIN_CHANGED,
      `The disk's chain has ${chain.length} layers, the inventory ${t.chain.layers.length}; rescan`,
    );
  // With the identities the guard proved: the daemon must hold exactly these files open.
  const layers = chain.map((p, i) => ({ path: p, format: t.chain.layers[i]!.format, identity: identities[i]! }));
  const input = {
    db: d.db,
    store: d.store,
    log,
    hostName: d.hostName,
    jobId,
    attempt,
    diskId: t.disk.id,
    domain: t.domain,
    layers,
    ownVolumeCount: t.own.length,
  };
  return runDirectJob(
    { ...input, actualSizeBefore: before, prover: directProver, signal, measure: () => d.checks.measure(t), publish, flush },
    t.domain.directVerify,
  ).catch((error: unknown) => d.checks.refused(t, error));
}
