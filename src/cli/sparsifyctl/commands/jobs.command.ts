import type { ApiClient } from "../api-client.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { humanBytes, renderTable } from "../text-format.js";

interface JobRow {
  id: string;
  state: string;
  phase: string;
  progress: number;
  outcome: string | null;
  reclaimedBytes: number | null;
  requestedBy: string;
  trigger: string;
  createdAt: string;
  error: { code: string; message: string } | null;
  disk: { alias: string } | null;
}

const STATES = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];

/** `sparsifyctl jobs [--state S] [--first N] [--json]`: newest first. */
export async function jobsCommand(
  api: ApiClient,
  opts: { state?: string; first?: string; json?: boolean },
  out: NodeJS.WritableStream,
): Promise<ExitCode> {
  const states = opts.state ? opts.state.split(",").map((s) => s.trim().toUpperCase()) : undefined;
  const bad = states?.find((s) => !STATES.includes(s));
  if (bad) throw new CliError(ExitCode.USAGE, `--state ${bad} is not one of ${STATES.join(", ")}`);
  const { sparsifyJobs } = await api.request<{ sparsifyJobs: { edges: { node: JobRow }[] } }>(
    `query($filter: SparsifyJobFilter, $first: Int) { sparsifyJobs(first: $first, filter: $filter) { edges { node {
      id state phase progress outcome reclaimedBytes requestedBy trigger createdAt error { code message } disk { alias } } } } }`,
    { filter: states ? { states } : null, first: opts.first ? Number(opts.first) : 50 },
  );
  const jobs = sparsifyJobs.edges.map((e) => e.node);
  if (opts.json) {
    out.write(`${JSON.stringify(jobs, null, 2)}\n`);
    return ExitCode.OK;
  }
  const rows = jobs.map((j) => [
    j.createdAt.replace("T", " ").slice(0, 19),
    j.disk?.alias ?? "(forgotten)",
    j.state === "RUNNING" ? `RUNNING ${j.progress}%` : j.state,
    j.error ? j.error.code : (j.outcome ?? "-"),
    humanBytes(j.reclaimedBytes),
    `${j.requestedBy} (${j.trigger.toLowerCase()})`,
    j.id,
  ]);
  out.write(`${renderTable(["CREATED (UTC)", "DISK", "STATE", "OUTCOME", "RECLAIMED", "BY", "ID"], rows, new Set([4]))}\n`);
  return ExitCode.OK;
}
