/**
 * bench:libvirt — on BENCH_DOMAINS (500) defined libvirt domains, each on its own image in a
 * scanned storage domain:
 *  1. full resync time (our batched read + XML parse + inventory write, as the worker runs it)
 *     against a hand-written `virsh list --all` + one `virsh dumpxml` per domain loop, alternating
 *     in the same run. Target: ours/loop ≤ 1.5×.
 *  2. latency from a libvirt event (seen by this process's own `virsh event --loop`) to the
 *     disk's blockers changing in the database, over start/destroy of tiny TCG domains.
 *     Target: p99 ≤ 1 s.
 * Needs a running libvirtd (started here when missing) and PostgreSQL/Redis.
 */
import "reflect-metadata";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import pg from "pg";
import { parseEventLine } from "../src/host/libvirt/event-line.js";
import { readAllDomains } from "../src/host/libvirt/virsh.js";
import { LibvirtSync } from "../src/services/libvirt-sync.service.js";
import { domainName, domainXml, ensureLibvirtd, LIBVIRT_URI, virsh } from "../test/support/libvirt.js";
import { ok, startStack, type Stack } from "../test/support/stack.js";
import { percentile } from "./stats.js";

const DOMAINS = Number(process.env.BENCH_DOMAINS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LATENCY_VMS = Number(process.env.BENCH_LATENCY_VMS ?? 20);
const median = (xs: number[]) => percentile(xs, 50);

await ensureLibvirtd();
const prefix = domainName("bench");
const names = Array.from({ length: DOMAINS }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}`);
// Images and domains first, before any worker follows libvirt (500 defines would be 500 events).
const root = await fs.mkdtemp(path.join(os.tmpdir(), "sparsify-bench-libvirt-"));
await fs.chmod(root, 0o755); // qemu runs as libvirt's own user: the path must be traversable
const dir = path.join(root, "bench-vms");
await fs.mkdir(dir, { mode: 0o755 });
let t = performance.now();
for (let i = 0; i < DOMAINS; i += 50) {
  await Promise.all(
    names.slice(i, i + 50).map((n) => execa("qemu-img", ["create", "-q", "-f", "qcow2", path.join(dir, `${n}.qcow2`), "64M"])),
  );
}
for (const n of names) await fs.chmod(path.join(dir, `${n}.qcow2`), 0o644);
const xmlDir = path.join(root, "xml");
await fs.mkdir(xmlDir);
for (const n of names)
  await fs.writeFile(
    path.join(xmlDir, `${n}.xml`),
    domainXml(n, [{ file: path.join(dir, `${n}.qcow2`), format: "qcow2", target: "vda", bus: "virtio" }]),
  );
for (let i = 0; i < DOMAINS; i += 100) {
  const r = await execa(
    "virsh",
    [
      "-q",
      "-c",
      LIBVIRT_URI,
      names
        .slice(i, i + 100)
        .map((n) => `define ${path.join(xmlDir, `${n}.xml`)}`)
        .join(" ; "),
    ],
    { reject: false },
  );
  if (r.exitCode !== 0) throw new Error(`virsh define: ${r.stderr}`);
}
console.log(`setup: ${DOMAINS} images and domains in ${((performance.now() - t) / 1000).toFixed(1)} s`);
t = performance.now();
let stack: Stack | null = null;
let db: pg.Client | null = null;
try {
  stack = await startStack({
    env: { LIBVIRT_URI, LIBVIRT_RESYNC_MS: "3600000", LIBVIRT_RECONNECT_MS: "1000", STORAGE_ROOTS: root, SCAN_WAIT_MS: "600000" },
  });
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  db = client;
  const domain = ok<any>(
    await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "bench-vms", path: $p }) { id } }`, { p: dir }),
  ).addStorageDomain;
  const scanned = ok<any>(
    await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domain.id }),
  ).scanStorageDomain;
  if (scanned.scanState !== "DONE") throw new Error(`scan ended ${scanned.scanState}`);
  console.log(`setup: stack started and ${DOMAINS} images scanned in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await client.connect();
  // The worker's own resync after the scan maps every domain's disk; wait for it.
  for (let i = 0; ; i++) {
    const [{ n }] = (
      await client.query(
        `SELECT count(*)::int AS n FROM disk_attachment a JOIN disk d ON d.id = a."diskId" WHERE d."storageDomainId" = $1`,
        [domain.id],
      )
    ).rows;
    if (n >= DOMAINS) break;
    if (i > 600) throw new Error(`only ${n} of ${DOMAINS} attachments mapped`);
    await new Promise((r) => setTimeout(r, 100));
  }

  // 1. Full resync vs a hand-written loop, alternating.
  const sync = new LibvirtSync(stack.db, stack.config.HOST_NAME, LIBVIRT_URI);
  const ours: number[] = [];
  const oursRead: number[] = [];
  const loop: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    t = performance.now();
    const { stdout } = await execa("virsh", ["-q", "-c", LIBVIRT_URI, "list", "--all", "--name"]);
    const listed = stdout
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean);
    const xmls: string[] = [];
    for (const n of listed) xmls.push((await execa("virsh", ["-q", "-c", LIBVIRT_URI, "dumpxml", n])).stdout);
    loop.push(performance.now() - t);
    if (xmls.length < DOMAINS) throw new Error(`loop read ${xmls.length} domains`);

    t = performance.now();
    const read = await readAllDomains(LIBVIRT_URI);
    oursRead.push(performance.now() - t);
    await sync.fullSync(read);
    ours.push(performance.now() - t);
    if (read.domains.length < DOMAINS) throw new Error(`resync read ${read.domains.length} domains`);
  }
  const ratio = median(ours) / median(loop);
  console.log(`full resync of ${DOMAINS}+ domains, median of ${ROUNDS}:`);
  console.log(`  hand-written loop (virsh list --all + virsh dumpxml each): ${median(loop).toFixed(0)} ms`);
  console.log(
    `  gateway resync (batched read + parse + inventory write):   ${median(ours).toFixed(0)} ms ` +
      `(read and parse alone ${median(oursRead).toFixed(0)} ms)`,
  );
  console.log(`  ratio gateway/loop: ${ratio.toFixed(2)}× (target ≤ 1.5×) ${ratio <= 1.5 ? "OK" : "MISSED"}`);

  // 2. Event → blocker change latency.
  const seen = new Map<string, number>();
  const events = execa("virsh", ["-q", "-c", LIBVIRT_URI, "event", "--loop", "--event", "lifecycle"], {
    buffer: false,
    reject: false,
  });
  events.stdout!.setEncoding("utf8");
  let rest = "";
  events.stdout!.on("data", (chunk: string) => {
    const at = performance.now();
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      const e = parseEventLine(line);
      const word = e?.detail.split(" ")[0];
      if (e?.domain && (word === "Started" || word === "Stopped") && !seen.has(`${e.domain}:${word}`))
        seen.set(`${e.domain}:${word}`, at);
    }
  });
  await new Promise((r) => setTimeout(r, 500));
  const diskOf = new Map<string, string>();
  for (const row of (await client.query(`SELECT d.alias, d.id FROM disk d WHERE d."storageDomainId" = $1`, [domain.id])).rows)
    diskOf.set(row.alias, row.id);
  const blocked = async (diskId: string) =>
    (await client.query(`SELECT sparsifiable FROM disk WHERE id = $1`, [diskId])).rows[0].sparsifiable === false;
  const waitBlocked = async (diskId: string, want: boolean) => {
    const deadline = performance.now() + 30_000;
    for (;;) {
      if ((await blocked(diskId)) === want) return performance.now();
      if (performance.now() > deadline) throw new Error(`disk ${diskId} never became ${want ? "blocked" : "free"}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const latencies: number[] = [];
  for (const n of names.slice(0, LATENCY_VMS)) {
    const diskId = diskOf.get(n)!;
    for (const [cmd, word, want] of [
      ["start", "Started", true],
      ["destroy", "Stopped", false],
    ] as const) {
      const r = await virsh(cmd, n);
      if (r.exitCode !== 0) throw new Error(`virsh ${cmd} ${n}: ${r.stderr}`);
      const changed = await waitBlocked(diskId, want);
      for (let i = 0; i < 100 && !seen.has(`${n}:${word}`); i++) await new Promise((res) => setTimeout(res, 10));
      const at = seen.get(`${n}:${word}`);
      if (at === undefined) throw new Error(`no ${word} event seen for ${n}`);
      latencies.push(Math.max(0, changed - at));
    }
  }
  events.kill();
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  console.log(`event → blocker change, ${latencies.length} events (start/destroy of ${LATENCY_VMS} domains among ${DOMAINS}):`);
  console.log(
    `  p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ` +
      `ms (target p99 ≤ 1000 ms) ${p99 <= 1000 ? "OK" : "MISSED"}`,
  );
} finally {
  await db?.end().catch(() => {});
  for (let i = 0; i < names.length; i += 100) {
    const batch = names.slice(i, i + 100);
    await execa("virsh", ["-q", "-c", LIBVIRT_URI, batch.flatMap((n) => [`destroy ${n}`, `undefine ${n}`]).join(" ; ")], {
      reject: false,
    });
  }
  await stack?.close();
  await fs.rm(root, { recursive: true, force: true });
}
