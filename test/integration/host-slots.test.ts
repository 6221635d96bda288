import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostSlots } from "../../src/jobs/worker/host-slots.js";
import { REDIS_URL } from "../support/stack.js";

/** The per-host budget is a lease set in real Redis, shared by every worker process of a host. */
describe("host slots", () => {
  let redis: Redis;
  const key = () => HostSlots.key(`t${randomBytes(4).toString("hex")}`, "host-a", "appliance");

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("grants exactly `limit` slots to 20 concurrent requests, and a released slot to the next", async () => {
    const slots = new HostSlots(redis, key(), 3);
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => slots.tryAcquire(`job-${i}`)));
    const held = got.filter((s) => s !== null);
    expect(held).toHaveLength(3);
    expect(await slots.inUse()).toBe(3);
    expect(await slots.tryAcquire("late")).toBeNull();
    await held[0]!.release();
    const next = await slots.tryAcquire("late");
    expect(next).not.toBeNull();
    await Promise.all([next!, ...held.slice(1)].map((s) => s.release()));
    expect(await slots.inUse()).toBe(0);
  });

  it("two instances (two worker processes of one host) share one budget", async () => {
    const k = key();
    const a = new HostSlots(redis, k, 1);
    const b = new HostSlots(redis, k, 1);
    const first = await a.tryAcquire("a");
    expect(first).not.toBeNull();
    expect(await b.tryAcquire("b")).toBeNull();
    await first!.release();
    const second = await b.tryAcquire("b");
    expect(second).not.toBeNull();
    await second!.release();
  });

  it("a dead holder's lease expires instead of leaking its slot", async () => {
    const k = key();
    // What a SIGKILLed worker leaves: a lease nobody renews, already past its expiry.
    await redis.zadd(k, Date.now() - 1, "dead-worker:job");
    const slots = new HostSlots(redis, k, 1);
    const slot = await slots.tryAcquire("alive");
    expect(slot).not.toBeNull();
    expect(await redis.zscore(k, "dead-worker:job")).toBeNull();
    await slot!.release();
  });

  it("a held lease is renewed, so a long run keeps its slot past the lease time", async () => {
    const slots = new HostSlots(redis, key(), 1, 300);
    const slot = await slots.tryAcquire("long-run");
    await new Promise((r) => setTimeout(r, 900));
    expect(await slots.tryAcquire("other")).toBeNull();
    await slot!.release();
    expect(await slots.tryAcquire("other")).not.toBeNull();
  });

  it("acquire hands a slot released in this process to a waiter at once (no poll needed)", async () => {
    const slots = new HostSlots(redis, key(), 1);
    const held = await slots.tryAcquire("running");
    // Polling only every minute: only the release's wake-up can end this wait within the test.
    const waiting = slots.acquire("waiting", { waitMs: 120_000, pollMs: 60_000 });
    await held!.release();
    const got = await waiting;
    expect(got).not.toBeNull();
    expect(await slots.inUse()).toBe(1);
    await got!.release();
  });

  it("acquire takes a slot another worker process released, by asking again", async () => {
    const k = key();
    const other = new HostSlots(redis, k, 1);
    const slots = new HostSlots(redis, k, 1);
    const held = await other.tryAcquire("other-process");
    const waiting = slots.acquire("waiting", { waitMs: 120_000, pollMs: 20 });
    await held!.release();
    const got = await waiting;
    expect(got).not.toBeNull();
    await got!.release();
  });

  it("acquire gives up with null when the wait runs out or is stopped, and leaves the slots as they were", async () => {
    const slots = new HostSlots(redis, key(), 1);
    const held = await slots.tryAcquire("running");
    expect(await slots.acquire("late", { waitMs: 50, pollMs: 10 })).toBeNull();
    const stop = new AbortController();
    const waiting = slots.acquire("cancelled", { waitMs: 120_000, pollMs: 60_000, signal: stop.signal });
    stop.abort();
    expect(await waiting).toBeNull();
    expect(await slots.inUse()).toBe(1);
    await held!.release();
  });
});
