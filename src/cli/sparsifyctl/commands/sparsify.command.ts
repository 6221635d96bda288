import { ApiRequestError, type ApiClient } from "../api-client.js";
import { resolveDisks, type DiskRef } from "../disk-ref.js";
import { CliError, ExitCode, worstExitCode } from "../exit-codes.js";
import { ProgressBoard } from "../progress-board.js";
import type { JobView } from "../text-format.js";

const JOB = "id state phase progress reclaimedBytes outcomeMessage error { code message }";

interface JobState {
  id: string;
  state: string;
  phase: string;
  progress: number;
  reclaimedBytes: number | null;
  outcomeMessage: string | null;
  error: { code: string; message: string } | null;
}

interface Streams {
  out: NodeJS.WriteStream;
  err: NodeJS.WritableStream;
  /** Fires when the user asks to stop waiting (Ctrl-C). */
  interrupt: AbortSignal;
}

/** Asks for one job; a blocked disk is reported with every reason, not thrown. */
async function request(api: ApiClient, disk: DiskRef, err: NodeJS.WritableStream): Promise<JobState | ExitCode> {
  try {
    const { sparsifyDisk } = await api.request<{ sparsifyDisk: JobState }>(
      `mutation($d: ID!) { sparsifyDisk(diskId: $d) { ${JOB} } }`,
      { d: disk.id },
    );
    return sparsifyDisk;
  } catch (e) {
    if (!(e instanceof ApiRequestError)) throw e;
    const blockers = (e.errors[0]?.extensions?.blockers ?? []) as { code: string; message: string }[];
    const reasons = blockers.length ? blockers.map((b) => `\n    ${b.code}: ${b.message}`).join("") : "";
    err.write(`${disk.alias}: refused (${e.code ?? "ERROR"}): ${e.message}${reasons}\n`);
    return ExitCode.REFUSED;
  }
}

const outcomeCode = (job: JobState) => (job.state === "SUCCEEDED" ? ExitCode.OK : ExitCode.JOB_FAILED);

/**
 * `sparsifyctl sparsify <alias|id>… [--wait]`. With --wait, one live bar per job from the
 * sparsifyJob subscription; Ctrl-C detaches (the jobs go on: stopping them is cancelSparsifyJob's
 * job, never an accident of a closed terminal).
 */
export async function sparsifyCommand(api: ApiClient, refs: string[], opts: { wait?: boolean }, io: Streams): Promise<ExitCode> {
  if (refs.length === 0) throw new CliError(ExitCode.USAGE, "sparsify needs at least one disk alias or id");
  const disks = await resolveDisks(api, refs);
  const codes: ExitCode[] = [];
  const accepted: { disk: DiskRef; job: JobState }[] = [];
  for (const disk of disks) {
    const result = await request(api, disk, io.err);
    if (typeof result === "number") codes.push(result);
    else accepted.push({ disk, job: result });
  }
  if (!opts.wait) {
    for (const { disk, job } of accepted) io.out.write(`${disk.alias}: job ${job.id} ${job.state}\n`);
    return worstExitCode(codes);
  }
  const board = new ProgressBoard(io.out);
  const view = (disk: DiskRef, j: JobState): JobView => ({ label: disk.alias, ...j });
  for (const { disk, job } of accepted) board.update(job.id, view(disk, job));
  const streams = accepted.map(({ disk, job }) => {
    let last = job;
    const sub = api.subscribe<{ sparsifyJob: JobState }>(
      `subscription($id: ID!) { sparsifyJob(id: $id) { ${JOB} } }`,
      { id: job.id },
      (data) => {
        last = data.sparsifyJob;
        board.update(job.id, view(disk, last));
      },
    );
    return { sub, final: sub.done.then(() => last) };
  });
  const detached = new Promise<"detached">((resolve) =>
    io.interrupt.addEventListener("abort", () => resolve("detached"), { once: true }),
  );
  const finished = await Promise.race([Promise.all(streams.map((s) => s.final)), detached]);
  if (finished === "detached") {
    for (const s of streams) s.sub.stop();
    io.err.write(
      `Detached: ${accepted.length} job(s) go on (${accepted.map((a) => a.job.id).join(", ")}); see them with sparsifyctl jobs\n`,
    );
    return ExitCode.DETACHED;
  }
  return worstExitCode([...codes, ...finished.map(outcomeCode)]);
}
