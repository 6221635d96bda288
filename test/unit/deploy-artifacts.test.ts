import { access, cp, mkdtemp, readFile, rm, symlink, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/**
 * Docker does not run here, so the compose file and the Dockerfile are read: every command they
 * run must exist in the built output (npm test builds first), and the runtime image's layout must
 * start the service and create a token without a compiler.
 */
const repo = path.resolve(".");
const exists = (p: string) =>
  access(path.join(repo, p)).then(
    () => true,
    () => false,
  );

interface Stage {
  name: string;
  from: string;
  lines: string[];
}

function stages(dockerfile: string): Stage[] {
  const out: Stage[] = [];
  // Continuation lines join their instruction; comments go.
  const lines = dockerfile
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ name: from[2] ?? from[1]!, from: from[1]!, lines: [] });
    else out.at(-1)!.lines.push(line);
  }
  return out;
}

const execArgv = (line: string) => JSON.parse(line.replace(/^(CMD|ENTRYPOINT)\s+/i, "")) as string[];

describe("Dockerfile and docker-compose.yml", async () => {
  const dockerfile = stages(await readFile(path.join(repo, "Dockerfile"), "utf8"));
  const compose = parse(await readFile(path.join(repo, "docker-compose.yml"), "utf8")) as { services: Record<string, any> };
  const pkg = JSON.parse(await readFile(path.join(repo, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const stage = (name: string) => dockerfile.find((s) => s.name === name)!;

  it("has the build, gateway and worker stages, and every file the build stage copies exists", async () => {
    expect(dockerfile.map((s) => s.name)).toEqual(["build", "gateway", "worker"]);
    for (const line of stage("build").lines.filter((l) => /^COPY\s/i.test(l))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const src of sources) expect(await exists(src), `${line}: ${src}`).toBe(true);
    }
  });

  it("every CMD runs a file of the build, and the runtime stages copy it from the build stage", async () => {
    for (const name of ["gateway", "worker"]) {
      const cmds = stage(name)
        .lines.filter((l) => /^CMD\s/i.test(l))
        .map(execArgv);
      expect(cmds.length, name).toBeGreaterThan(0);
      for (const [bin, file] of cmds) {
        expect(bin).toBe("node");
        expect(await exists(file!), `${name}: ${file}`).toBe(true);
      }
    }
    const copied = stage("gateway")
      .lines.filter((l) => /^COPY\s+--from=build/i.test(l))
      .map((l) => l.split(/\s+/)[2]!.replace(/^\/app\//, ""));
    expect(copied).toEqual(expect.arrayContaining(["node_modules", "dist", "web/dist"]));
  });

  it("the worker image has the host tools and creates the parsers' user", () => {
    const run = stage("worker")
      .lines.filter((l) => /^RUN\s/i.test(l))
      .join(" ");
    for (const pkgName of ["libguestfs-tools", "qemu-utils", "linux-image-amd64", "xfsprogs", "fuse3", "util-linux"])
      expect(run).toContain(pkgName);
    expect(run).toMatch(/useradd .*sparsify-parser/);
  });

  it("compose runs postgres, redis, the gateway and a worker, wired to the Dockerfile's targets", () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(["gateway", "postgres", "redis", "worker"]);
    expect(s.gateway.build.target).toBe("gateway");
    expect(s.worker.build.target).toBe("worker");
    // The gateway must listen beyond the container's loopback for the published port to work.
    expect(s.gateway.environment.BIND_ADDRESS).toBe("0.0.0.0");
    for (const name of ["gateway", "worker"]) {
      expect(s[name].environment.STORAGE_ROOTS).toBe("/storage");
      expect(s[name].volumes.some((v: string) => v.startsWith("./var/storage:/storage"))).toBe(true);
    }
    expect(s.worker.devices).toContain("/dev/fuse:/dev/fuse");
    expect(s.worker.cap_add).toContain("SYS_ADMIN");
  });

  it(
    "`docker compose exec gateway npm run token:create` works from the runtime image's files alone " +
      "(no sources, no compiler)",
    async () => {
      // token:create goes through the launcher: it must be in the image and build nothing there.
      expect(pkg.scripts["token:create"]).toMatch(/scripts\/launch\.sh/);
      expect(stage("gateway").lines.some((l) => /^COPY\s+scripts\/launch\.sh\s/i.test(l))).toBe(true);
      const image = await mkdtemp(path.join(os.tmpdir(), "image-layout-"));
      try {
        // Exactly what the gateway stage copies: node_modules, dist, web/dist, package.json, the launcher.
        await symlink(path.join(repo, "node_modules"), path.join(image, "node_modules"));
        await cp(path.join(repo, "dist"), path.join(image, "dist"), { recursive: true });
        await mkdir(path.join(image, "web"));
        await cp(path.join(repo, "web/dist"), path.join(image, "web/dist"), { recursive: true });
        await cp(path.join(repo, "package.json"), path.join(image, "package.json"));
        await mkdir(path.join(image, "scripts"));
        await cp(path.join(repo, "scripts/launch.sh"), path.join(image, "scripts/launch.sh"));
        const env = { ...process.env, NODE_ENV: "production", CI: "" };
        const token = await execa("npm", ["run", "token:create", "--silent", "--", "--help"], { cwd: image, env, reject: false });
        expect(token.exitCode, token.stderr).toBe(0);
        expect(token.stdout).toMatch(/--role/);
        expect(token.stderr).not.toMatch(/building/);
        const start = await execa("npm", ["start", "--silent", "--", "--help"], { cwd: image, env, reject: false });
        expect(start.exitCode, start.stderr).toBe(0);
        expect(start.stderr).not.toMatch(/building/);
      } finally {
        await rm(image, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
