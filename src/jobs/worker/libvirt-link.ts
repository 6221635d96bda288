import fs from "node:fs";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../../config.js";
import { LibvirtState } from "../../entities/enums.js";
import { LibvirtMonitor } from "../../host/libvirt/libvirt-monitor.js";
import { chooseLibvirtUri, DEFAULT_LIBVIRT_URI } from "../../host/libvirt/libvirt-uri.js";
import { LibvirtSync } from "../../services/libvirt-sync.service.js";

/** Where a local qemu:///system writes persistent configs and live status, one NAME.xml each. */
const QEMU_DOMAIN_DIRS = ["/etc/libvirt/qemu", "/run/libvirt/qemu"];

/** A host worker's libvirt link: picks the URI, says it once, and feeds the monitor into the inventory. */
export class LibvirtLink {
  private monitor: LibvirtMonitor | null = null;

  constructor(
    private readonly config: Config,
    private readonly db: DataSource,
    private readonly hostName: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const choice = chooseLibvirtUri(this.config.LIBVIRT_URI);
    this.log.info({ libvirtUri: choice.uri }, choice.message);
    if (!choice.uri) {
      await new LibvirtSync(this.db, this.hostName, "").setState(LibvirtState.DISABLED, choice.message);
      return;
    }
    const sync = new LibvirtSync(this.db, this.hostName, choice.uri);
    this.monitor = new LibvirtMonitor({
      uri: choice.uri,
      resyncMs: this.config.LIBVIRT_RESYNC_MS,
      reconnectMs: this.config.LIBVIRT_RECONNECT_MS,
      log: this.log,
      watchDirs: choice.uri === DEFAULT_LIBVIRT_URI ? QEMU_DOMAIN_DIRS.filter((d) => fs.existsSync(d)) : [],
      sink: {
        connected: async () => void (await sync.setState(LibvirtState.CONNECTED, null)),
        unreachable: async (reason) => void (await sync.setState(LibvirtState.UNREACHABLE, reason)),
        // Each resync says CONNECTED again: the gateway marks a host whose heartbeat came late
        // UNREACHABLE, and nothing else would take that back while the link itself stays up.
        fullSync: async (read) => {
          await sync.setState(LibvirtState.CONNECTED, null);
          await sync.fullSync(read);
        },
        domainChanged: (name, domain) => {
          this.log.debug(
            { domain: name, state: domain?.state ?? "gone", disks: domain?.disks.map((d) => d.target) },
            "libvirt domain re-read",
          );
          return sync.domainChanged(name, domain);
        },
        eventSeen: (at) => sync.eventSeen(at),
      },
    });
    await this.monitor.start();
  }

  /** New volumes (after a scan) may be where known domains' disks point. */
  requestFullSync(): void {
    this.monitor?.requestFullSync();
  }

  async stop(): Promise<void> {
    await this.monitor?.stop();
  }
}
