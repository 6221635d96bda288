import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** A redis-server of the test's own on a spare port, to restart or empty at will. */
export class TestRedis {
  private proc: ResultPromise | null = null;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), await fs.mkdtemp(path.join(os.tmpdir(), "test-redis-")));
    await r.up(true);
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** With `persist`, an append-only file keeps data across restarts; without, Redis comes back empty. */
  async up(persist: boolean): Promise<void> {
    if (!persist) await fs.rm(path.join(this.dir, "appendonlydir"), { recursive: true, force: true });
    this.proc = execa(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        persist ? "yes" : "no",
        "--appendfsync",
        "always",
        "--dir",
        this.dir,
      ],
      { reject: false, stdio: "ignore" },
    );
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(this.port, "127.0.0.1", () => (s.end(), resolve(true)));
        s.on("error", () => resolve(false));
      });
      if (ok) return;
      await sleep(50);
    }
    throw new Error("test redis-server did not start");
  }

  async down(): Promise<void> {
    this.proc?.kill("SIGTERM");
    await this.proc;
    this.proc = null;
  }

  async restart(persist: boolean, pauseMs = 500): Promise<void> {
    await this.down();
    await sleep(pauseMs);
    await this.up(persist);
  }

  async stop(): Promise<void> {
    await this.down();
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
