import fs from "node:fs";
import { execa, type ResultPromise } from "execa";
import type { Logger } from "pino";
import { parseEventLine } from "./event-line.js";
import { OWN_SESSION } from "../own-session.js";
import { readAllDomains, readDomainByName, virshCommand, type DomainReading, type DomainsRead } from "./virsh.js";

/** Where the monitor's readings go (the worker writes them to the inventory). */
export interface LibvirtSink {
  connected(): Promise<void>;
  unreachable(reason: string): Promise<void>;
  fullSync(read: DomainsRead): Promise<void>;
  domainChanged(name: string, domain: DomainReading | null): Promise<void>;
  eventSeen(at: Date): Promise<void>;
}

export interface LibvirtMonitorOptions {
  uri: string;
  /** Period of the full resync while connected. */
  resyncMs: number;
  /** How often a lost connection is retried. */
  reconnectMs: number;
  log: Logger;
  sink: LibvirtSink;
  /**
   * Directories where libvirtd writes each domain's NAME.xml: the persistent configs
   * (`/etc/libvirt/qemu`) and the live status (`/run/libvirt/qemu`) of a local qemu:///system.
   * libvirt 9 emits no event for some changes — a shut-off domain's config edited
   * (`detach-disk --config`), a disk unplugged live that qemu released at once — but it always
   * rewrites these files: watching them closes that gap.
   */
  watchDirs?: string[];
}

/**
 * Follows one libvirt: a full resync on connect, on reconnect and every `resyncMs`, and a
 * targeted re-read of a domain after each of its events. When `virsh event` ends (libvirtd gone)
 * or a read fails, the sink hears `unreachable` and the monitor retries until it is back.
 */
export class LibvirtMonitor {
  private events: ResultPromise | null = null;
  private timer: NodeJS.Timeout | null = null;
  private state: "idle" | "connected" | "unreachable" = "idle";
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly pending = new Set<string>();
  private fullPending = false;
  private draining = false;
  private readonly watchers: fs.FSWatcher[] = [];

  constructor(private readonly o: LibvirtMonitorOptions) {}

  start(): Promise<void> {
    this.watchConfigs();
    return this.serial(() => this.connect());
  }

  private watchConfigs(): void {
    for (const dir of this.o.watchDirs ?? []) {
      try {
        const watcher = fs.watch(dir, (_, file) => {
          const name = typeof file === "string" && file.endsWith(".xml") ? file.slice(0, -4) : null;
          if (!name || this.state !== "connected") return;
          this.pending.add(name);
          void this.drain();
        });
        watcher.on("error", () => watcher.close());
        this.watchers.push(watcher);
      } catch (error) {
        this.o.log.warn(
          { err: (error as Error).message, dir },
          "cannot watch libvirt's domain files; changes without an event wait for the next resync",
        );
      }
    }
  }

  /** Asks for a full resync soon (e.g. after a scan found new volumes). */
  requestFullSync(): void {
    if (this.state !== "connected") return;
    this.fullPending = true;
    void this.drain();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watchers.forEach((w) => w.close());
    if (this.timer) clearTimeout(this.timer);
    this.events?.kill();
    await this.chain.catch(() => {});
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain
      .then(fn)
      .catch((error) => this.o.log.warn({ err: (error as Error).message }, "libvirt monitor step failed"));
    return this.chain;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.state === "connected") this.requestFullSync();
      else void this.serial(() => this.connect());
      this.schedule(this.state === "connected" ? this.o.resyncMs : this.o.reconnectMs);
    }, ms).unref();
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.state === "connected") return;
    try {
      // Events first, then the read: nothing that happens in between is missed.
      this.startEvents();
      const read = await readAllDomains(this.o.uri);
      if (!this.events) throw new Error("virsh event ended at once");
      this.state = "connected";
      await this.o.sink.connected();
      await this.o.sink.fullSync(read);
      this.o.log.info({ uri: this.o.uri, domains: read.domains.length }, "libvirt connected");
      this.schedule(this.o.resyncMs);
    } catch (error) {
      await this.lost(`cannot reach libvirt at ${this.o.uri}: ${firstLine(error)}`);
    }
  }

  private async lost(reason: string): Promise<void> {
    const was = this.state;
    this.state = "unreachable";
    const events = this.events;
    this.events = null;
    events?.kill();
    this.pending.clear();
    this.fullPending = false;
    if (this.stopped) return;
    if (was !== "unreachable") this.o.log.warn({ uri: this.o.uri, reason }, "libvirt unreachable");
    await this.o.sink.unreachable(reason);
    this.schedule(this.o.reconnectMs);
  }

  private startEvents(): void {
    // Lives as long as the link: its own session (a Ctrl-C does not cut the link), and it dies with the service.
    const proc = execa(...virshCommand(this.o.uri, ["event", "--loop", "--all"]), {
      ...OWN_SESSION,
      reject: false,
      buffer: false,
      env: { LC_ALL: "C" },
    });
    this.events = proc;
    let rest = "";
    proc.stdout?.setEncoding("utf8");
    proc.stdout?.on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) this.onEventLine(line);
    });
    void proc.then(() => {
      if (this.events !== proc || this.stopped) return;
      void this.serial(() => this.lost(`virsh event ended: libvirt at ${this.o.uri} closed the connection`));
    });
  }

  private onEventLine(line: string): void {
    void this.o.sink.eventSeen(new Date()).catch(() => {});
    const event = parseEventLine(line);
    if (!event) return;
    if (event.domain === null) this.fullPending = true;
    else this.pending.add(event.domain);
    void this.drain();
  }

  /** A failed read means libvirt is gone: the fail-safe path. */
  private async read<T>(fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (error) {
      await this.serial(() => this.lost(`reading libvirt at ${this.o.uri} failed: ${firstLine(error)}`));
      return null;
    }
  }

  /** A failed write (database) is retried by the next full resync, not taken for a libvirt loss. */
  private async write(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.o.log.warn({ err: (error as Error).message }, "libvirt sync write failed; the next resync retries");
    }
  }

  /** Applies pending work; events that arrive meanwhile are coalesced into the next round. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.stopped && this.state === "connected" && (this.fullPending || this.pending.size > 0)) {
        if (this.fullPending) {
          this.fullPending = false;
          this.pending.clear();
          const all = await this.read(() => readAllDomains(this.o.uri));
          if (all) await this.write(() => this.o.sink.fullSync(all));
          continue;
        }
        const names = [...this.pending].slice(0, 8);
        names.forEach((n) => this.pending.delete(n));
        const readings = await this.read(() => Promise.all(names.map((n) => readDomainByName(this.o.uri, n))));
        if (!readings) break;
        for (let i = 0; i < names.length; i++) await this.write(() => this.o.sink.domainChanged(names[i]!, readings[i]!));
      }
    } finally {
      this.draining = false;
    }
  }
}

const firstLine = (error: unknown) =>
  String((error as { stderr?: string }).stderr || (error as Error).message || error)
    .trim()
    .split("\n")[0];
