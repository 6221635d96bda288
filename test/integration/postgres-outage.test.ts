import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";
import { freePort } from "../support/redis-server.js";
import { TcpProxy } from "../support/tcp-proxy.js";

/** PostgreSQL goes away (connections reset, new ones refused) and comes back. */
describe("PostgreSQL connection dropped and back", () => {
  let stack: Stack;
  let proxy: TcpProxy;

  beforeAll(async () => {
    proxy = new TcpProxy(await freePort(), { host: "127.0.0.1", port: 5432 });
    await proxy.up();
    stack = await startStack({
      worker: false,
      databaseUrlVia: (url) => {
        const u = new URL(url);
        u.port = String(proxy.port);
        return u.toString();
      },
    });
  });
  afterAll(async () => {
    await proxy.up();
    await stack?.close();
    await proxy.down();
  });

  it("fails requests with DATABASE_UNAVAILABLE meanwhile, reports not ready, then recovers", async () => {
    ok(await stack.gql(`{ disks { totalCount } }`));
    await proxy.down();

    const res = await stack.gql(`{ disks { totalCount } }`);
    expect(codeOf(res)).toBe("DATABASE_UNAVAILABLE");
    expect(res.errors![0].message).toMatch(/database is unreachable/i);
    const ready = await fetch(stack.url.replace("/graphql", "/readyz"));
    expect(ready.status).toBe(503);
    expect((await ready.json()).postgres).toMatch(/unreachable/);
    const health = await fetch(stack.url.replace("/graphql", "/healthz"));
    expect(health.status).toBe(200);

    await proxy.up();
    await expect
      .poll(async () => (await stack.gql(`{ disks { totalCount } }`)).data?.disks?.totalCount, { timeout: 15_000 })
      .toBe(0);
    expect((await fetch(stack.url.replace("/graphql", "/readyz"))).status).toBe(200);
  });
});
