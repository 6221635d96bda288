import { describe, expect, it } from "vitest";
import { stringifyMessage, MessageType } from "graphql-ws";
import { Role } from "../../src/domain/roles.js";
import { frameHead, NextFrame } from "../../src/server/multiplex/next-frame.js";
import { jobEventClass } from "../../src/server/multiplex/job-event-class.js";
import { subscriptionKey, type KeyParts } from "../../src/server/multiplex/subscription-key.js";

const Q = "subscription($id: ID!) { sparsifyJob(id: $id) { id progress } }";
const base: KeyParts = { query: Q, variables: { id: "a" }, role: Role.VIEWER };

describe("subscriptionKey: one key exactly for the subscriptions whose results are the same", () => {
  it.each<[string, KeyParts, boolean]>([
    ["the same subscription", { ...base }, true],
    ["variables in another key order", { ...base, variables: { id: "a" } }, true],
    ["nested variables in another order", { ...base, variables: { f: { b: 1, a: 2 } } }, false],
    ["another variable value", { ...base, variables: { id: "b" } }, false],
    ["another role", { ...base, role: Role.ADMIN }, false],
    ["another document", { ...base, query: `${Q} ` }, false],
    ["an operation name", { ...base, operationName: "Watch" }, false],
    ["no variables at all", { ...base, variables: undefined }, false],
  ])("%s: same key %s", (_name, other, same) => {
    expect(subscriptionKey(other) === subscriptionKey(base)).toBe(same);
  });

  it("treats a missing operation name as null, and sorts nested keys", () => {
    expect(subscriptionKey({ ...base, operationName: null })).toBe(subscriptionKey(base));
    expect(subscriptionKey({ ...base, variables: { f: { b: 1, a: [{ y: 1, x: 2 }] } } })).toBe(
      subscriptionKey({ ...base, variables: { f: { a: [{ x: 2, y: 1 }], b: 1 } } }),
    );
  });
});

describe("NextFrame: the bytes graphql-ws would send, with each subscription's id spliced in", () => {
  const payload = { data: { sparsifyJob: { id: "j", progress: 5, note: 'quote " and \u2028 é' } } };
  it.each(["1", "9b1e-uuid", 'we"ird\\id', "ünïcode"])("id %s", (id) => {
    const frame = new NextFrame(JSON.stringify(payload)).for(frameHead(id));
    expect(frame.toString()).toBe(stringifyMessage({ id, type: MessageType.Next, payload }));
  });
});

describe("jobEventClass: what a slow socket may coalesce", () => {
  const job = { id: "j", state: "RUNNING", phase: "TRIMMING", progress: 1, cancelRequestedAt: null };
  const phase = (j: object) => jobEventClass(j)!.phase;
  it.each<[string, object, boolean]>([
    ["more progress", { ...job, progress: 50 }, true],
    ["a new phase", { ...job, phase: "MEASURING" }, false],
    ["a new state", { ...job, state: "SUCCEEDED" }, false],
    ["cancellation asked", { ...job, cancelRequestedAt: new Date() }, false],
  ])("%s: coalescible with the previous event %s", (_name, next, same) => {
    expect(phase(next) === phase(job)).toBe(same);
  });
  it("streams by job, ends on a terminal state, and leaves anything that is not a job alone", () => {
    expect(jobEventClass(job)).toMatchObject({ stream: "j", final: false });
    expect(jobEventClass({ ...job, state: "CANCELLED" })?.final).toBe(true);
    expect(jobEventClass({ hello: 1 })).toBeNull();
    expect(jobEventClass(null)).toBeNull();
  });
});
