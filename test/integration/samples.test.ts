import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";

/**
 * `npm run samples` as a new user meets it: the script fills a directory, its printed curl
 * command (token and port included) registers it with a running gateway, and the estimates show
 * at least one disk that needs sparsifying under the default policy.
 */
describe.runIf(
  requireTools("qemu-img", "qemu-io", "qemu-storage-daemon", "fusermount3", "mke2fs", "debugfs", "dumpe2fs", "sfdisk", "curl"),
)("the sample images", () => {
  let stack: Stack;
  let printed: string;
  let dir: string;

  beforeAll(async () => {
    stack = await startStack(); // default NEEDS_SPARSIFY_MIN_BYTES / _MIN_RATIO
    dir = path.join(stack.root, "samples");
    const tokenFile = path.join(stack.root, "dev-token");
    await fs.writeFile(tokenFile, `${stack.token}\n`, { mode: 0o600 });
    const run = await execa("bash", ["scripts/make-samples.sh", dir], {
      env: { PORT: String(stack.gateway.port), DEV_TOKEN_FILE: tokenFile },
    });
    printed = run.stdout;
  }, 300_000);
  afterAll(() => stack?.close());

  it("prints a curl command with the token and the port that registers them", async () => {
    expect(printed).not.toMatch(/virt-sparsify-notes|\/work\//);
    const lines = printed.split("\n");
    const first = lines.findIndex((l) => l.trimStart().startsWith("curl "));
    const last = lines.findIndex((l, i) => i >= first && l.trimEnd().endsWith("}'"));
    expect(first).toBeGreaterThan(0);
    const command = lines.slice(first, last + 1).join("\n");
    expect(command).toContain(`http://localhost:${stack.gateway.port}/graphql`);
    expect(command).toMatch(/authorization: Bearer/i);
    // Run exactly what was printed, as a user pasting it would.
    const { stdout } = await execa("bash", ["-c", command]);
    const body = JSON.parse(stdout);
    expect(body.errors).toBeUndefined();
    expect(body.data.addStorageDomain).toMatchObject({ status: "ACTIVE" });
  });

  it("states their real disk use", () => {
    expect(printed).toMatch(/^Disk use: \d+ MiB in /m);
  });

  it("has a disk above the default needs-sparsify policy once estimated", async () => {
    const needing = async () =>
      ok<any>(
        await stack.gql(`{ disks(filter: { needsSparsify: true }) { edges { node { alias reclaimableEstimate actualSize } } } }`),
      ).disks.edges.map((e: any) => e.node);
    await expect
      .poll(async () => (await needing()).map((d: any) => d.alias), { timeout: 90_000, interval: 500 })
      .toContain("ext4-deleted");
    const disk = (await needing()).find((d: any) => d.alias === "ext4-deleted");
    expect(disk.reclaimableEstimate).toBeGreaterThan(256 * 1024 * 1024);
    expect(disk.reclaimableEstimate / disk.actualSize).toBeGreaterThan(0.1);
  }, 120_000);
});
