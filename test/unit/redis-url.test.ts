import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { redisOptions } from "../../src/jobs/queue/redis.js";
import { redact } from "../../src/server/infra-errors.js";
import {
  describeSentinels,
  parseRedisUrl,
  redactRedisTarget,
  RedisUrlError,
  RedisUrlProblem,
  type SentinelTarget,
} from "../../src/redis-url.js";

const sentinel = (url: string) => parseRedisUrl(url) as SentinelTarget;

describe("parseRedisUrl: one server", () => {
  it.each(["redis://127.0.0.1:6379", "rediss://cache.example:6380", "redis://:pw@h:6379/2", "REDIS://h"])(
    "%s is passed to ioredis as written",
    (url) => {
      expect(parseRedisUrl(url)).toEqual({ kind: "server", url });
    },
  );
});

describe("parseRedisUrl: a Sentinel group", () => {
  it.each([
    {
      name: "two hosts with ports",
      url: "redis+sentinel://h1:26379,h2:26380/mymaster",
      sentinels: [
        { host: "h1", port: 26379 },
        { host: "h2", port: 26380 },
      ],
    },
    {
      name: "ports default to 26379",
      url: "redis+sentinel://h1,h2:5000,h3/m",
      sentinels: [
        { host: "h1", port: 26379 },
        { host: "h2", port: 5000 },
        { host: "h3", port: 26379 },
      ],
    },
    { name: "one host", url: "redis+sentinel://10.0.0.7/m", sentinels: [{ host: "10.0.0.7", port: 26379 }] },
    {
      name: "IPv6 in brackets, with and without port",
      url: "redis+sentinel://[::1]:26379,[fd00::7]/m",
      sentinels: [
        { host: "::1", port: 26379 },
        { host: "fd00::7", port: 26379 },
      ],
    },
    { name: "a trailing slash after the name", url: "redis+sentinel://h1/m/", sentinels: [{ host: "h1", port: 26379 }] },
    { name: "the scheme in capitals", url: "REDIS+SENTINEL://h1/m", sentinels: [{ host: "h1", port: 26379 }] },
  ])("$name", ({ url, sentinels }) => {
    const t = sentinel(url);
    expect(t.kind).toBe("sentinel");
    expect(t.sentinels).toEqual(sentinels);
  });

  it.each([
    { name: "master name", url: "redis+sentinel://h/mymaster", expected: { masterName: "mymaster" } },
    { name: "escaped master name", url: "redis+sentinel://h/my%2Dmaster.1", expected: { masterName: "my-master.1" } },
    { name: "password only", url: "redis+sentinel://:s3cret@h/m", expected: { password: "s3cret" } },
    { name: "user and password", url: "redis+sentinel://app:s3cret@h1,h2/m", expected: { username: "app", password: "s3cret" } },
    { name: "user only", url: "redis+sentinel://app@h/m", expected: { username: "app" } },
    { name: "escaped password with @ and :", url: "redis+sentinel://:p%40ss%3Aw@h/m", expected: { password: "p@ss:w" } },
    {
      name: "an unescaped @ in the password (the last @ ends it)",
      url: "redis+sentinel://:p@ss@h/m",
      expected: { password: "p@ss", sentinels: [{ host: "h", port: 26379 }] },
    },
    { name: "sentinelPassword", url: "redis+sentinel://h/m?sentinelPassword=t0p", expected: { sentinelPassword: "t0p" } },
    {
      name: "sentinelUsername and sentinelPassword",
      url: "redis+sentinel://:a@h/m?sentinelUsername=sen&sentinelPassword=b%26c",
      expected: { password: "a", sentinelUsername: "sen", sentinelPassword: "b&c" },
    },
    { name: "a fragment is ignored", url: "redis+sentinel://h/m#notes", expected: { masterName: "m" } },
  ])("$name", ({ url, expected }) => {
    expect(sentinel(url)).toMatchObject(expected);
  });

  it("sets nothing the URL does not give", () => {
    expect(sentinel("redis+sentinel://:pw@h/m")).toEqual({
      kind: "sentinel",
      sentinels: [{ host: "h", port: 26379 }],
      masterName: "m",
      password: "pw",
    });
  });

  it("becomes ioredis Sentinel options: the addresses, the group name, both sets of credentials", () => {
    const options = redisOptions(parseRedisUrl("redis+sentinel://app:a@h1:1,[::1]:2/grp?sentinelPassword=b"));
    expect(options).toMatchObject({
      sentinels: [
        { host: "h1", port: 1 },
        { host: "::1", port: 2 },
      ],
      name: "grp",
      username: "app",
      password: "a",
      sentinelPassword: "b",
      failoverDetector: true,
    });
    expect(
      (options.reconnectOnError as (e: Error) => unknown)(new Error("READONLY You can't write against a read only replica.")),
    ).toBe(2);
    expect((options.reconnectOnError as (e: Error) => unknown)(new Error("ERR wrong number of arguments"))).toBe(false);
  });
});

describe("parseRedisUrl: malformed URLs are refused with a reason and the right form", () => {
  it.each([
    { name: "not a URL", url: "redis on localhost", problem: RedisUrlProblem.NOT_A_URL },
    { name: "http://", url: "http://127.0.0.1:6379", problem: RedisUrlProblem.UNSUPPORTED_SCHEME },
    { name: "TLS with Sentinel", url: "rediss+sentinel://h/m", problem: RedisUrlProblem.SENTINEL_TLS_UNSUPPORTED },
    { name: "no sentinels", url: "redis+sentinel:///m", problem: RedisUrlProblem.NO_SENTINELS },
    { name: "credentials but no sentinels", url: "redis+sentinel://:pw@/m", problem: RedisUrlProblem.NO_SENTINELS },
    { name: "an empty item between commas", url: "redis+sentinel://h1,,h2/m", problem: RedisUrlProblem.BAD_SENTINEL_HOST },
    { name: "a trailing comma", url: "redis+sentinel://h1,/m", problem: RedisUrlProblem.BAD_SENTINEL_HOST },
    { name: "a bad host name", url: "redis+sentinel://h_1!/m", problem: RedisUrlProblem.BAD_SENTINEL_HOST },
    { name: "IPv6 without brackets", url: "redis+sentinel://::1:26379/m", problem: RedisUrlProblem.BAD_SENTINEL_HOST },
    { name: "an IPv6 bracket never closed", url: "redis+sentinel://[::1:26379/m", problem: RedisUrlProblem.BAD_SENTINEL_HOST },
    { name: "not IPv6 in brackets", url: "redis+sentinel://[host]:26379/m", problem: RedisUrlProblem.BAD_SENTINEL_HOST },
    { name: "junk after the bracket", url: "redis+sentinel://[::1]x/m", problem: RedisUrlProblem.BAD_SENTINEL_HOST },
    { name: "port 0", url: "redis+sentinel://h:0/m", problem: RedisUrlProblem.BAD_SENTINEL_PORT },
    { name: "port 65536", url: "redis+sentinel://h:65536/m", problem: RedisUrlProblem.BAD_SENTINEL_PORT },
    { name: "port not a number", url: "redis+sentinel://h:abc/m", problem: RedisUrlProblem.BAD_SENTINEL_PORT },
    { name: "an empty port", url: "redis+sentinel://h:/m", problem: RedisUrlProblem.BAD_SENTINEL_PORT },
    { name: "no master name", url: "redis+sentinel://h1:26379,h2:26379", problem: RedisUrlProblem.NO_MASTER_NAME },
    { name: "an empty master name", url: "redis+sentinel://h1/", problem: RedisUrlProblem.NO_MASTER_NAME },
    { name: "a database number after the name", url: "redis+sentinel://h1/m/2", problem: RedisUrlProblem.BAD_MASTER_NAME },
    { name: "white space in the name", url: "redis+sentinel://h1/my%20master", problem: RedisUrlProblem.BAD_MASTER_NAME },
    {
      name: "an unknown option (a typo)",
      url: "redis+sentinel://h1/m?sentinelPasword=x",
      problem: RedisUrlProblem.UNKNOWN_OPTION,
    },
    { name: "a malformed escape", url: "redis+sentinel://:%E0%A4%A@h1/m", problem: RedisUrlProblem.BAD_ESCAPE },
  ])("$name → $problem", ({ url, problem }) => {
    let caught: unknown;
    try {
      parseRedisUrl(url);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RedisUrlError);
    expect((caught as RedisUrlError).problem).toBe(problem);
    expect((caught as Error).message).not.toMatch(/\n/);
  });

  it("a refused URL never quotes its password", () => {
    for (const url of [
      "redis+sentinel://:s3cret@h1,,h2/m",
      "redis+sentinel://:s3cret%ZZ@h/m",
      "redis+sentinel://:s3cret@h/m?x=s3cret",
    ]) {
      expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
      try {
        parseRedisUrl(url);
      } catch (error) {
        expect((error as Error).message).not.toContain("s3cret");
      }
    }
  });
});

describe("printing a Sentinel REDIS_URL", () => {
  const url = "redis+sentinel://app:s3cret@h1:26379,[::1]:26380/grp?sentinelUsername=sen&sentinelPassword=t0p";

  it("redacts both passwords and keeps the rest", () => {
    const shown = redactRedisTarget(parseRedisUrl(url));
    expect(shown).toBe("redis+sentinel://app:***@h1:26379,[::1]:26380/grp?sentinelUsername=sen&sentinelPassword=***");
    expect(redact(url)).toBe(shown);
    expect(redact("redis+sentinel://:s3cret@h1,,h2/m")).not.toContain("s3cret");
  });

  it("names the sentinels and the group", () => {
    expect(describeSentinels(sentinel(url))).toBe('sentinels h1:26379, [::1]:26380 (master "grp")');
  });
});

describe("REDIS_URL in the configuration", () => {
  it("accepts a Sentinel URL as given", () => {
    expect(loadConfig({ REDIS_URL: "redis+sentinel://h1,h2/m" }).REDIS_URL).toBe("redis+sentinel://h1,h2/m");
  });

  it("refuses a malformed one in one line naming the variable and the form", () => {
    expect(() => loadConfig({ REDIS_URL: "redis+sentinel://h1:26379,h2:26379" })).toThrow(
      /REDIS_URL: no master name after the sentinels: use redis\+sentinel:\/\/host1:26379,host2:26379\/mastername/,
    );
  });
});
