import { describe, expect, it } from "vitest";
import type { SparsifyJob } from "../../src/entities/index.js";
import { JobFeed } from "../../src/jobs/queue/job-feed.js";
import { openJobStream } from "../../src/jobs/queue/job-stream.js";

const job = (state: string, progress: number, phase = "TRIMMING") =>
  ({ id: "j", state, phase, progress, cancelRequestedAt: null, actualSizeBefore: null }) as unknown as SparsifyJob;
const key = (j: SparsifyJob) => `${j.state}:${j.progress}`;

async function take(stream: AsyncIterableIterator<SparsifyJob>, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await stream.next();
    if (r.done) break;
    out.push(key(r.value));
  }
  return out;
}

describe("openJobStream over the job feed", () => {
  it("keeps the changes that came while the current state was read, when they are newer, then follows live", async () => {
    const feed = new JobFeed();
    const stream = await openJobStream(feed, "j", async () => {
      feed.publish(job("RUNNING", 10)); // older than what the read returns
      feed.publish(job("RUNNING", 30)); // newer
      return job("RUNNING", 20);
    });
    expect(await take(stream, 2)).toEqual(["RUNNING:20", "RUNNING:30"]);
    const next = stream.next();
    feed.publish(job("RUNNING", 25)); // backwards: dropped
    feed.publish(job("RUNNING", 40));
    expect(key((await next).value)).toBe("RUNNING:40");
  });

  it("ends after a terminal state and lets go of the feed; nothing after it arrives", async () => {
    const feed = new JobFeed();
    const stream = await openJobStream(feed, "j", async () => job("RUNNING", 0));
    feed.publish(job("SUCCEEDED", 100, "DONE"));
    feed.publish(job("RUNNING", 50));
    expect(await take(stream, 5)).toEqual(["RUNNING:0", "SUCCEEDED:100"]);
    expect(feed.size).toBe(0);
  });

  it("return() ends a pending next() at once and unsubscribes", async () => {
    const feed = new JobFeed();
    const stream = await openJobStream(feed, "j", async () => job("RUNNING", 0));
    await stream.next();
    const pending = stream.next();
    await stream.return!();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(feed.size).toBe(0);
  });

  it("an unknown job rejects and leaves no listener", async () => {
    const feed = new JobFeed();
    await expect(openJobStream(feed, "j", async () => Promise.reject(new Error("no job j")))).rejects.toThrow("no job j");
    expect(feed.size).toBe(0);
  });
});
