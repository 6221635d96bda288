import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobState } from "../../src/entities/enums.js";
import { ok, startStack, type Stack } from "../support/stack.js";

/** patchActive answers from its UPDATE … RETURNING: the row must be exactly what a read gives. */
describe("JobStore.patchActive", () => {
  let stack: Stack;
  let domainId: string;

  const request = async (alias: string, actualSize: number) => {
    const [{ id: diskId }] = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable, "actualSize") VALUES ($1, $2, 'QCOW2', true, $3) RETURNING id`,
      [domainId, alias, actualSize],
    );
    return ok<any>(await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId })).sparsifyDisk
      .id as string;
  };

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('js', $1) RETURNING id`, [
      `${stack.root}/js`,
    ]);
  });
  afterAll(() => stack?.close());

  it("returns the updated row as a fresh read would load it (BIGINT as numbers, timestamps as dates)", async () => {
    const store = stack.gateway.services.sparsify.store;
    const id = await request("big", 5 * 2 ** 40);
    const startedAt = new Date("2026-01-02T03:04:05.678Z");
    const patched = await store.patchActive(id, {
      state: JobState.RUNNING,
      progress: 7,
      host: "h1",
      startedAt,
      attempts: 1,
      actualSizeBefore: 6 * 2 ** 40,
    });
    const read = await store.get(id);
    expect(patched).toEqual(read);
    expect(patched).toMatchObject({
      state: "RUNNING",
      progress: 7,
      host: "h1",
      attempts: 1,
      actualSizeBefore: 6 * 2 ** 40,
      actualSizeAfter: null,
    });
    expect(typeof patched!.actualSizeBefore).toBe("number");
    expect(patched!.startedAt).toBeInstanceOf(Date);
    expect(patched!.startedAt!.getTime()).toBe(startedAt.getTime());
    expect(patched!.createdAt).toBeInstanceOf(Date);
  });

  it("returns null and changes nothing once the job has ended", async () => {
    const store = stack.gateway.services.sparsify.store;
    const id = await request("ended", 1);
    await store.finish(id, { state: JobState.CANCELLED });
    expect(await store.patchActive(id, { progress: 50 })).toBeNull();
    expect((await store.get(id))!.progress).toBe(0);
  });
});
