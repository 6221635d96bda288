import { findExecutable } from "../../src/host/find-executable.js";

/**
 * Checks that host tools are installed, for `describe.skipIf(!requireTools("qemu-img"))(…)`.
 * With `CI=true` a missing tool is a failure (it throws while the file is collected), so CI
 * can never go green by silently skipping the real-tool suites. Elsewhere it warns loudly and
 * returns false so the suite is skipped.
 */
export function requireTools(...names: string[]): boolean {
  const missing = names.filter((name) => findExecutable(name) === undefined);
  if (missing.length === 0) return true;
  const libvirt = ["virsh", "libvirtd"];
  const packages = missing.some((name) => name !== "chromium" && !libvirt.includes(name))
    ? ["libguestfs-tools", "qemu-utils", "linux-image-amd64"]
    : [];
  if (missing.some((name) => libvirt.includes(name))) packages.push("libvirt-daemon-system", "libvirt-clients");
  if (missing.includes("chromium")) packages.push("chromium");
  const recipe = packages[0] === "chromium" ? "" : " (see docs/virt-sparsify.md §8)";
  const message =
    `missing host tool(s): ${missing.join(", ")}. Install them with ` +
    `\`apt-get install --no-install-recommends ${packages.join(" ")}\`${recipe}`;
  if (process.env.CI === "true") throw new Error(`${message}. CI=true: failing instead of skipping.`);
  console.warn(`\n${"*".repeat(72)}\n* SKIPPING: ${message}\n${"*".repeat(72)}\n`);
  return false;
}

/**
 * Checks that the tests run as root, for `describe.runIf(requireRoot("…"))(…)`: `why` says what
 * needs it. Like {@link requireTools}, with `CI=true` running as another user is a failure (it
 * throws while the file is collected), so the root-only suites can never be skipped silently in CI.
 */
export function requireRoot(why: string): boolean {
  if (process.geteuid?.() === 0) return true;
  const message = `not running as root (${why}). Run the tests as root (as .ci/run does)`;
  if (process.env.CI === "true") throw new Error(`${message}. CI=true: failing instead of skipping.`);
  console.warn(`\n${"*".repeat(72)}\n* SKIPPING: ${message}\n${"*".repeat(72)}\n`);
  return false;
}
