/**
 * The estimate refresh after a job ends, off the job's path: the job's ending is written and its
 * run slot freed first, then the disks whose job ended are re-estimated in the background.
 * Disks that end while a refresh of their domain runs are gathered into the next one, so a fleet
 * of short jobs costs a few batched refreshes per domain instead of one per job, each on the job's
 * critical path.
 */
export interface EstimateRequest {
  storageDomainId: string;
  diskIds: string[];
  requestedBy: string;
}

export class PostJobEstimates {
  /** Per domain: disks waiting for the next refresh, and who asked first. */
  private readonly waiting = new Map<string, { diskIds: Set<string>; requestedBy: string }>();
  /** Per domain: the refresh running now (at most one, so refreshes of a domain never overlap). */
  private readonly running = new Map<string, Promise<void>>();

  /** `refresh` is the real estimate (processEstimate); its failures go to `onError`, never to the caller. */
  constructor(
    private readonly refresh: (request: EstimateRequest) => Promise<unknown>,
    private readonly onError: (error: Error, request: EstimateRequest) => void,
  ) {}

  /** Queues a disk's refresh and returns at once. */
  add(storageDomainId: string, diskId: string, requestedBy: string): void {
    const entry = this.waiting.get(storageDomainId) ?? { diskIds: new Set<string>(), requestedBy };
    entry.diskIds.add(diskId);
    this.waiting.set(storageDomainId, entry);
    if (!this.running.has(storageDomainId)) this.start(storageDomainId);
  }

  /** Resolves when every refresh queued so far (and those gathered meanwhile) has ended. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  private start(storageDomainId: string): void {
    if (!this.waiting.has(storageDomainId)) return;
    const run = (async () => {
      // A tick later: jobs ending together land in one refresh.
      await new Promise((resolve) => setImmediate(resolve));
      const entry = this.waiting.get(storageDomainId)!;
      this.waiting.delete(storageDomainId);
      const request = { storageDomainId, diskIds: [...entry.diskIds], requestedBy: entry.requestedBy };
      await this.refresh(request).catch((error: Error) => this.onError(error, request));
    })().finally(() => {
      this.running.delete(storageDomainId);
      this.start(storageDomainId);
    });
    this.running.set(storageDomainId, run);
  }
}
