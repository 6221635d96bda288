import { randomBytes, randomInt } from "node:crypto";
import { execa } from "execa";

/**
 * A network namespace joined to the root namespace by a veth pair: a "host" whose only way out is
 * its own link, which the test can cut (`ip link set … down` inside the namespace) and restore.
 * Addresses are a /30 of 10.x.y.0/24 (x, y random per run, checked unused); nothing is routed
 * further, so traffic stays between the two ends of the pair.
 */
export class NetnsHost {
  private constructor(
    /** `ip netns` name, unique per run. */
    readonly ns: string,
    /** Address of the root side (where the test puts its forwarders). */
    readonly rootAddress: string,
    /** Address of the namespace side. */
    readonly nsAddress: string,
    private readonly rootVeth: string,
    private readonly nsVeth: string,
  ) {}

  /** Command prefix that runs a program inside the namespace. */
  get exec(): string[] {
    return ["ip", "netns", "exec", this.ns];
  }

  async linkDown(): Promise<void> {
    await execa("ip", ["-n", this.ns, "link", "set", this.nsVeth, "down"]);
  }

  async linkUp(): Promise<void> {
    await execa("ip", ["-n", this.ns, "link", "set", this.nsVeth, "up"]);
  }

  /** Deletes the namespace and the veth pair; safe to call twice or after a failed create. */
  async destroy(): Promise<void> {
    await execa("ip", ["link", "del", this.rootVeth], { reject: false });
    await execa("ip", ["netns", "del", this.ns], { reject: false });
  }

  /**
   * One namespace per entry of `labels`, on one fresh 10.x.y.0/24 (each host its own /30).
   * Whatever was made is torn down when a step fails.
   */
  static async createAll(labels: string[]): Promise<NetnsHost[]> {
    const subnet = await unusedSubnet();
    const run = randomBytes(3).toString("hex");
    const hosts: NetnsHost[] = [];
    try {
      for (const [i, label] of labels.entries()) {
        const base = i * 4;
        const [rootAddress, nsAddress] = [`${subnet}.${base + 1}`, `${subnet}.${base + 2}`];
        const host = new NetnsHost(`sparsify-${run}-${label}`, rootAddress, nsAddress, `sp${run}${i}r`, `sp${run}${i}n`);
        hosts.push(host);
        await host.create();
      }
      return hosts;
    } catch (error) {
      for (const h of hosts) await h.destroy();
      throw error;
    }
  }

  private async create(): Promise<void> {
    const ip = (...args: string[]) => execa("ip", args);
    await ip("netns", "add", this.ns);
    await ip("link", "add", this.rootVeth, "type", "veth", "peer", "name", this.nsVeth);
    await ip("link", "set", this.nsVeth, "netns", this.ns);
    await ip("addr", "add", `${this.rootAddress}/30`, "dev", this.rootVeth);
    await ip("link", "set", this.rootVeth, "up");
    await ip("-n", this.ns, "addr", "add", `${this.nsAddress}/30`, "dev", this.nsVeth);
    await ip("-n", this.ns, "link", "set", this.nsVeth, "up");
    await ip("-n", this.ns, "link", "set", "lo", "up");
  }
}

/** A 10.x.y (x in 200–249) that no address or route of the root namespace uses yet. */
async function unusedSubnet(): Promise<string> {
  const { stdout: used } = await execa("ip", ["-4", "-o", "addr"]);
  const { stdout: routes } = await execa("ip", ["-4", "route"]);
  for (let tries = 0; tries < 50; tries++) {
    const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 256)}`;
    if (!used.includes(` ${subnet}.`) && !routes.includes(`${subnet}.`)) return subnet;
  }
  throw new Error("no unused 10.x.y.0/24 found for the test namespaces");
}
