import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { findExecutable } from "../../src/host/find-executable.js";
import { PARSER_USER } from "../../src/host/parser-user.js";
import { HAND_BACK_LIMIT_MS } from "../../src/shutdown.js";

/** Where the units expect the project (README "Run it as a service"); the test maps it to this checkout. */
const INSTALL_DIR = "/opt/sparsify-gateway";
const UNITS = path.resolve("deploy/systemd");

type Unit = Map<string, string[]>;

/** systemd's unit syntax as far as these files use it: sections, `Key=value`, repeated keys, comments. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) throw new Error(`not a key=value line: ${line}`);
    const key = `${section}.${line.slice(0, eq)}`;
    unit.set(key, [...(unit.get(key) ?? []), line.slice(eq + 1)]);
  }
  return unit;
}

const load = (name: string) => parseUnit(fs.readFileSync(path.join(UNITS, name), "utf8"));
const one = (unit: Unit, key: string) => unit.get(key)?.at(-1);
/** Environment= lines: space-separated NAME=value pairs. */
const environment = (unit: Unit) =>
  Object.fromEntries(
    (unit.get("Service.Environment") ?? [])
      .flatMap((l) => l.split(/\s+/))
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
/** The shell block of README "Run it as a service" that installs the units, one command a line (comments dropped). */
function readmeInstallSteps(): string[] {
  const readme = fs.readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("## Run it as a service"));
  const block = /\*\*systemd\.\*\*[\s\S]*?```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block
    .split("\n")
    .map((l) => l.replace(/\s#.*$/, "").trim())
    .filter(Boolean);
}
/** `useradd` arguments after the command, the name last. */
const useraddArgs = (line: string) =>
  line
    .slice(line.indexOf("useradd") + "useradd".length)
    .trim()
    .split(/\s+/);
const seconds = (value: string | undefined) => Number(/^(\d+)s?$/.exec(value ?? "")?.[1] ?? NaN);

describe("systemd units", () => {
  const files = fs.readdirSync(UNITS).filter((f) => f.endsWith(".service"));

  it("ships one unit for the gateway and one for the worker", () => {
    expect(files.sort()).toEqual(["sparsify-gateway.service", "sparsify-worker.service"]);
  });

  it.each(["sparsify-gateway.service", "sparsify-worker.service"])(
    "%s: every ExecStart exists in the build and runs a real mode",
    (name) => {
      const unit = load(name);
      const starts = unit.get("Service.ExecStart") ?? [];
      expect(starts.length).toBeGreaterThan(0);
      for (const start of starts) {
        const [binary, script, mode, ...rest] = start.split(/\s+/);
        expect(path.isAbsolute(binary!), start).toBe(true);
        expect(fs.existsSync(binary!) || findExecutable(path.basename(binary!)) !== undefined, `${binary} on this machine`).toBe(
          true,
        );
        expect(script!.startsWith(`${INSTALL_DIR}/`), start).toBe(true);
        const built = path.resolve(script!.slice(INSTALL_DIR.length + 1));
        expect(fs.existsSync(built), `${built} (run npm run build)`).toBe(true);
        expect(["gateway", "worker"]).toContain(mode);
        expect(rest).toEqual([]);
      }
      expect(one(unit, "Service.WorkingDirectory")).toBe(INSTALL_DIR);
    },
  );

  it.each(["sparsify-gateway.service", "sparsify-worker.service"])(
    "%s: SIGTERM to node only (KillMode=mixed), and a stop timeout longer than the drain",
    (name) => {
      const unit = load(name);
      expect(one(unit, "Service.KillMode")).toBe("mixed");
      const env = environment(unit);
      expect(env.NODE_ENV).toBe("production");
      const config = loadConfig({ ...env, STORAGE_ROOTS: "/srv" });
      const timeoutMs = seconds(one(unit, "Service.TimeoutStopSec")) * 1000;
      // The worker drains for WORKER_SHUTDOWN_GRACE_MS, then hands back (bounded); only then may systemd SIGKILL.
      const needed = name.includes("worker") ? config.WORKER_SHUTDOWN_GRACE_MS + HAND_BACK_LIMIT_MS : 10_000;
      expect(timeoutMs).toBeGreaterThan(needed);
    },
  );

  it("the gateway is locked down: read-only system, private /tmp, no new privileges, no capabilities", () => {
    const unit = load("sparsify-gateway.service");
    expect(one(unit, "Service.User")).not.toBe("root");
    for (const [key, value] of [
      ["NoNewPrivileges", "yes"],
      ["ProtectSystem", "strict"],
      ["PrivateTmp", "yes"],
      ["PrivateDevices", "yes"],
      ["CapabilityBoundingSet", ""],
    ])
      expect(one(unit, `Service.${key}`), key).toBe(value);
    expect(one(unit, "Service.ReadWritePaths")).toBeTruthy();
  });

  it("the worker keeps what FUSE, setpriv/unshare and libguestfs need", () => {
    const unit = load("sparsify-worker.service");
    // Each of these breaks the worker: /dev/kvm + /dev/fuse, setuid fusermount3, /usr/lib/modules for supermin, unshare.
    for (const key of [
      "PrivateDevices",
      "NoNewPrivileges",
      "ProtectKernelModules",
      "RestrictNamespaces",
      "MemoryDenyWriteExecute",
    ]) {
      expect(one(unit, `Service.${key}`), key).toBeUndefined();
    }
    expect(one(unit, "Service.ProtectSystem")).not.toBe("strict"); // images live anywhere under the storage roots
    // PrivateTmp gives a fresh /var/tmp per start: the appliance cache must live elsewhere.
    const env = environment(unit);
    expect(one(unit, "Service.PrivateTmp")).toBe("yes");
    expect(env.LIBGUESTFS_CACHEDIR).toMatch(/^\/var\/cache\//);
    expect(one(unit, "Service.CacheDirectory")).toBe(path.basename(env.LIBGUESTFS_CACHEDIR!));
  });

  it("README's install steps create every user and group the units and the worker run as", () => {
    const steps = readmeInstallSteps();
    expect(steps.some((l) => l.includes("systemctl enable"))).toBe(true);
    const useradds = steps.filter((l) => /(^|\s)useradd\s/.test(l)).map(useraddArgs);
    const users = useradds.map((args) => args.at(-1)!);
    // useradd makes a group of the user's name unless told not to (-N).
    const groups = useradds
      .filter((args) => !args.includes("-N") && !args.includes("--no-user-group"))
      .map((args) => args.at(-1)!);
    const needed = { users: new Set<string>(), groups: new Set<string>() };
    for (const name of files) {
      const unit = load(name);
      const user = one(unit, "Service.User");
      if (user && user !== "root") needed.users.add(user);
      const group = one(unit, "Service.Group");
      if (group && group !== "root") needed.groups.add(group);
      // A root worker runs the estimator's parsers as PARSER_USER; ProtectSystem keeps /etc read-only, so it cannot create it.
      if (name.includes("worker") && (user ?? "root") === "root") {
        expect(one(unit, "Service.ProtectSystem")).toMatch(/^(yes|full|strict)$/);
        needed.users.add(PARSER_USER);
      }
    }
    expect(users).toEqual(expect.arrayContaining([...needed.users]));
    expect(groups).toEqual(expect.arrayContaining([...needed.groups]));
    // The same system user that .ci/run and the Dockerfile make.
    const ci = fs
      .readFileSync(".ci/run", "utf8")
      .split("\n")
      .find((l) => l.includes(`useradd`) && l.includes(PARSER_USER));
    expect(useradds.find((args) => args.at(-1) === PARSER_USER)).toEqual(useraddArgs(ci!));
  });

  it("the worker sets nothing that implies a device allow-list, or allows /dev/kvm and /dev/fuse in it", () => {
    const unit = load("sparsify-worker.service");
    // ProtectClock implies DeviceAllow=char-rtc on older systemd; PrivateDevices and DevicePolicy close /dev too.
    const closing = ["ProtectClock", "PrivateDevices"].filter((key) => one(unit, `Service.${key}`) === "yes");
    const policy = one(unit, "Service.DevicePolicy");
    const allowed = unit.get("Service.DeviceAllow") ?? [];
    if (closing.length > 0 || (policy && policy !== "auto") || allowed.length > 0) {
      expect(closing, "PrivateDevices hides them whatever DeviceAllow says").not.toContain("PrivateDevices");
      for (const device of ["/dev/kvm", "/dev/fuse"]) expect(allowed).toContainEqual(expect.stringMatching(`^${device}\\s+rw`));
    }
  });

  it.runIf(findExecutable("systemd-analyze") !== undefined)("systemd-analyze verify accepts both units", async () => {
    const result = await execa("systemd-analyze", ["verify", ...files.map((f) => path.join(UNITS, f))], { reject: false });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe("");
    expect(result.exitCode).toBe(0);
  });
});
