import { describe, expect, it } from "vitest";
import { listenError } from "../../src/server/listen.js";
import { describePostgresError, describeRedisError, StartupError } from "../../src/server/startup-errors.js";

const PG = "postgres://app:s3cret@db.example:5432/inventory";
const REDIS = "redis://:pw@cache.example:6379";
const err = (code: string, message: string) => Object.assign(new Error(message), { code });

/** One row per failure an operator meets at start: the line names the cause and the fix, never the password. */
describe("describePostgresError", () => {
  it.each([
    [
      "refused",
      err("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.1:5432"),
      /not reachable: nothing accepts connections.*Fix: start it/,
    ],
    ["unknown host", err("ENOTFOUND", "getaddrinfo ENOTFOUND db.example"), /host name in db\.example:5432 does not resolve/],
    [
      "refused inside an AggregateError",
      Object.assign(new AggregateError([err("ECONNREFUSED", "a"), err("ECONNREFUSED", "b")], ""), {}),
      /connection refused/,
    ],
    [
      "wrong password",
      err("28P01", 'password authentication failed for user "app"'),
      /rejected the password of user "app"\. Fix: .*postgres:\/\/app:PASSWORD@db\.example:5432\/inventory/,
    ],
    [
      "no password given",
      new Error("SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string"),
      /asks user "app" for a password/,
    ],
    ["unknown user", err("28000", 'role "app" does not exist'), /has no user "app"\. Fix: .*createuser/],
    ["pg_hba", err("28000", 'no pg_hba.conf entry for host "::1", user "app"'), /no pg_hba\.conf entry/],
    ["unknown database", err("3D000", 'database "inventory" does not exist'), /has no database "inventory"\. Fix: .*--create-db/],
  ])("%s", (_name, error, expected) => {
    const line = describePostgresError(PG, error)!;
    expect(line).toMatch(expected);
    expect(line).not.toMatch(/\n/);
    expect(line).not.toContain("s3cret");
  });

  it("anything else is left to the caller", () => {
    expect(describePostgresError(PG, err("42P01", 'relation "x" does not exist'))).toBeNull();
  });
});

describe("describeRedisError", () => {
  it.each([
    [
      "refused",
      err("ECONNREFUSED", "connect ECONNREFUSED"),
      /^Redis at cache\.example:6379 is not reachable: nothing accepts connections/,
    ],
    ["not Redis on that port", new Error("Connection is closed."), /did not answer as Redis does/],
    ["password", new Error("NOAUTH Authentication required."), /refused the credentials in REDIS_URL/],
  ])("%s", (_name, error, expected) => {
    const line = describeRedisError(REDIS, error)!;
    expect(line).toMatch(expected);
    expect(line).toMatch(/Fix: /);
    expect(line).not.toContain(":pw@");
  });
});

describe("describeRedisError with a Sentinel REDIS_URL", () => {
  const SENTINEL = "redis+sentinel://:pw@s1.example:26379,s2.example:26380/cache?sentinelPassword=spw";
  const unreachable = new Error("All sentinels are unreachable and retry is disabled. Last error: Connection is closed.");
  it.each([
    [
      "every sentinel refused",
      unreachable,
      [err("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.1:26379")],
      /^Redis sentinels s1\.example:26379, s2\.example:26380 \(master "cache"\) are not reachable: nothing accepts connections/,
    ],
    [
      "no sentinel resolves",
      unreachable,
      [err("ENOTFOUND", "getaddrinfo ENOTFOUND s1.example")],
      /sentinels s1\.example:26379, s2\.example:26380 .*do(es)? not resolve/,
    ],
    [
      "no such master",
      unreachable,
      [new Error("failed to connect to sentinel s1.example:26379 because ERR No such master with that name")],
      /monitor no master named "cache"\. Fix: /,
    ],
    [
      "an empty answer",
      unreachable,
      [new Error("connected to sentinel s1.example:26379 successfully, but got an invalid reply: null")],
      /monitor no master named "cache"/,
    ],
    [
      "sentinel password",
      unreachable,
      [new Error("failed to connect to sentinel s1.example:26379 because NOAUTH Authentication required.")],
      /refused the sentinel credentials\. Fix: .*sentinelPassword/,
    ],
    [
      "the primary refused",
      err("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.9:6379"),
      [],
      /^Redis primary "cache" named by sentinels s1\.example:26379, s2\.example:26380 .* is not reachable: nothing accepts/,
    ],
    [
      "the primary's password",
      new Error("WRONGPASS invalid username-password pair"),
      [],
      /^Redis primary "cache" .* refused the credentials in REDIS_URL/,
    ],
  ])("%s", (_name, error, told, expected) => {
    const line = describeRedisError(SENTINEL, error, told)!;
    expect(line).toMatch(expected);
    expect(line).toMatch(/Fix: /);
    expect(line).not.toMatch(/\n/);
    expect(line).not.toContain("pw@");
    expect(line).not.toContain("spw");
  });
});

describe("listenError", () => {
  it.each([
    ["EADDRINUSE", /^Port 4000 on 0\.0\.0\.0 is already in use .*Fix: .*PORT=4001 npm start/],
    ["EACCES", /^Port 4000 on 0\.0\.0\.0 needs privileges/],
    ["EADDRNOTAVAIL", /^BIND_ADDRESS 0\.0\.0\.0 is not an address/],
  ])("%s", (code, expected) => {
    const error = listenError(err(code, "listen"), 4000, "0.0.0.0");
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toMatch(expected);
  });
});
