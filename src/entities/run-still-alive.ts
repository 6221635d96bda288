/** Processes of an ended sparsify run that are still alive on a host (see Disk.runStillAlive). */
export interface RunStillAlive {
  jobId: string;
  host: string;
  /** pid + start time (/proc/<pid>/stat field 22): a recycled pid is never taken for the process. */
  processes: { pid: number; startTime: string }[];
  /** ISO time the job ended with them alive. */
  since: string;
}
