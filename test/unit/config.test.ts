import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const configError = (env: NodeJS.ProcessEnv): ConfigError => {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
};

describe("loadConfig", () => {
  it("an empty environment parses to the defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      NODE_ENV: "development",
      PORT: 4000,
      BIND_ADDRESS: "127.0.0.1",
      TRUST_PROXY: false,
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/sparsify",
      REDIS_URL: "redis://127.0.0.1:6379",
      QUEUE_PREFIX: "sparsify",
      STORAGE_ROOTS: [path.resolve("var/storage")],
      LIBGUESTFS_BACKEND_SETTINGS: "auto",
      LIBGUESTFS_CACHEDIR: "/var/tmp",
      SPARSIFY_TIMEOUT_MS: 1_800_000,
      SPARSIFY_KILL_GRACE_MS: 15_000,
      LOG_LEVEL: "info",
    });
    expect(config.WORKER_CONCURRENCY).toBeUndefined();
    expect(config.HOST_NAME.length).toBeGreaterThan(0);
    expect(path.isAbsolute(config.STORAGE_ROOTS[0]!)).toBe(true);
  });

  it("ignores unrelated variables (the real environment has many)", () => {
    expect(() => loadConfig({ PATH: "/usr/bin", HOME: "/root", SOMETHING: "x" })).not.toThrow();
  });

  it.each([
    { name: "PORT", env: { PORT: "8080" }, key: "PORT", expected: 8080 },
    { name: "PORT 0 (any free port)", env: { PORT: "0" }, key: "PORT", expected: 0 },
    { name: "PORT 65535", env: { PORT: "65535" }, key: "PORT", expected: 65535 },
    { name: "WORKER_CONCURRENCY", env: { WORKER_CONCURRENCY: "3" }, key: "WORKER_CONCURRENCY", expected: 3 },
    { name: "SCAN_WAIT_MS", env: { SCAN_WAIT_MS: "500" }, key: "SCAN_WAIT_MS", expected: 500 },
    { name: "NODE_ENV", env: { NODE_ENV: "production" }, key: "NODE_ENV", expected: "production" },
    { name: "LOG_LEVEL", env: { LOG_LEVEL: "silent" }, key: "LOG_LEVEL", expected: "silent" },
    { name: "QUEUE_PREFIX", env: { QUEUE_PREFIX: "test_run-42" }, key: "QUEUE_PREFIX", expected: "test_run-42" },
    {
      name: "DATABASE_URL",
      env: { DATABASE_URL: "postgres://u:p@db:5432/x" },
      key: "DATABASE_URL",
      expected: "postgres://u:p@db:5432/x",
    },
    { name: "TRUST_PROXY=true", env: { TRUST_PROXY: "true" }, key: "TRUST_PROXY", expected: true },
    { name: "TRUST_PROXY hop count", env: { TRUST_PROXY: "2" }, key: "TRUST_PROXY", expected: 2 },
    {
      name: "TRUST_PROXY list",
      env: { TRUST_PROXY: "loopback, 10.0.0.0/8" },
      key: "TRUST_PROXY",
      expected: ["loopback", "10.0.0.0/8"],
    },
    { name: "MAX_SOCKETS_PER_TOKEN", env: { MAX_SOCKETS_PER_TOKEN: "3" }, key: "MAX_SOCKETS_PER_TOKEN", expected: 3 },
  ])("$name from the environment is parsed and typed", ({ env, key, expected }) => {
    expect(loadConfig(env)[key as keyof ReturnType<typeof loadConfig>]).toEqual(expected);
  });

  it.each([
    { name: "single root", value: "/srv/storage", expected: ["/srv/storage"] },
    { name: "comma list", value: "/srv/storage,/data/vm", expected: ["/srv/storage", "/data/vm"] },
    { name: "spaces around items are trimmed", value: " /srv/storage , /data/vm ", expected: ["/srv/storage", "/data/vm"] },
    { name: "empty items are dropped", value: ",/srv/storage,,/data/vm,", expected: ["/srv/storage", "/data/vm"] },
  ])("STORAGE_ROOTS $name → $expected", ({ value, expected }) => {
    expect(loadConfig({ STORAGE_ROOTS: value }).STORAGE_ROOTS).toEqual(expected);
  });

  it.each([
    { name: "PORT=abc", env: { PORT: "abc" }, variable: "PORT" },
    { name: "PORT=70000", env: { PORT: "70000" }, variable: "PORT" },
    { name: "PORT=-1", env: { PORT: "-1" }, variable: "PORT" },
    { name: "PORT=80.5", env: { PORT: "80.5" }, variable: "PORT" },
    { name: "DATABASE_URL not a URL", env: { DATABASE_URL: "not a url" }, variable: "DATABASE_URL" },
    { name: "REDIS_URL not a URL", env: { REDIS_URL: "redis on localhost" }, variable: "REDIS_URL" },
    { name: "QUEUE_PREFIX with a colon", env: { QUEUE_PREFIX: "a:b" }, variable: "QUEUE_PREFIX" },
    { name: "NODE_ENV unknown", env: { NODE_ENV: "staging" }, variable: "NODE_ENV" },
    { name: "LOG_LEVEL unknown", env: { LOG_LEVEL: "verbose" }, variable: "LOG_LEVEL" },
    { name: "WORKER_CONCURRENCY=0", env: { WORKER_CONCURRENCY: "0" }, variable: "WORKER_CONCURRENCY" },
    { name: "TRUST_PROXY not an address", env: { TRUST_PROXY: "proxy.example" }, variable: "TRUST_PROXY" },
    { name: "SPARSIFY_TIMEOUT_MS=-5", env: { SPARSIFY_TIMEOUT_MS: "-5" }, variable: "SPARSIFY_TIMEOUT_MS" },
    { name: "HEARTBEAT_INTERVAL_MS=soon", env: { HEARTBEAT_INTERVAL_MS: "soon" }, variable: "HEARTBEAT_INTERVAL_MS" },
    { name: "STORAGE_ROOTS relative", env: { STORAGE_ROOTS: "var/storage" }, variable: "STORAGE_ROOTS" },
    { name: "STORAGE_ROOTS with one relative item", env: { STORAGE_ROOTS: "/srv/storage,data" }, variable: "STORAGE_ROOTS" },
    { name: "STORAGE_ROOTS not normalised (..)", env: { STORAGE_ROOTS: "/srv/storage/../etc" }, variable: "STORAGE_ROOTS" },
    { name: "STORAGE_ROOTS not normalised (//)", env: { STORAGE_ROOTS: "/srv//storage" }, variable: "STORAGE_ROOTS" },
    { name: "STORAGE_ROOTS not normalised (/./)", env: { STORAGE_ROOTS: "/srv/./storage" }, variable: "STORAGE_ROOTS" },
  ])("$name → ConfigError naming $variable", ({ env, variable }) => {
    const err = configError(env);
    expect(err.message).toMatch(/^Invalid configuration:/);
    expect(err.message).toContain(`${variable}:`);
  });

  it("the offending relative root is quoted in the message", () => {
    expect(configError({ STORAGE_ROOTS: "/srv/storage,data" }).message).toContain("data is not an absolute, normalised path");
  });

  it("several bad variables → every one is named in one error", () => {
    const { message } = configError({ PORT: "abc", DATABASE_URL: "nope", LOG_LEVEL: "loud" });
    expect(message).toContain("PORT:");
    expect(message).toContain("DATABASE_URL:");
    expect(message).toContain("LOG_LEVEL:");
  });

  it("ConfigError is an Error (a start script can print it and exit)", () => {
    expect(configError({ PORT: "abc" })).toBeInstanceOf(Error);
  });
});
