import { isTerminal, progressLine, type JobView } from "./text-format.js";

/**
 * One live progress bar per job. On a terminal the block of bars is redrawn in place; into a pipe
 * or file it prints a line whenever a job's state or phase changes, so logs stay readable.
 */
export class ProgressBoard {
  private readonly jobs = new Map<string, JobView>();
  private readonly lastLogged = new Map<string, string>();
  private drawnLines = 0;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly tty = Boolean(out.isTTY),
  ) {}

  update(id: string, job: JobView): void {
    this.jobs.set(id, job);
    if (this.tty) return this.redraw();
    const key = `${job.state}/${job.phase}`;
    if (this.lastLogged.get(id) === key) return;
    this.lastLogged.set(id, key);
    this.out.write(`${progressLine(job, this.labelWidth())}\n`);
  }

  get allDone(): boolean {
    return [...this.jobs.values()].every((j) => isTerminal(j.state));
  }

  private labelWidth(): number {
    return Math.max(0, ...[...this.jobs.values()].map((j) => j.label.length));
  }

  private redraw(): void {
    const width = this.labelWidth();
    const lines = [...this.jobs.values()].map((j) => progressLine(j, width));
    const up = this.drawnLines ? `\x1b[${this.drawnLines}A` : "";
    this.out.write(up + lines.map((l) => `\x1b[2K${l}\n`).join(""));
    this.drawnLines = lines.length;
  }
}
