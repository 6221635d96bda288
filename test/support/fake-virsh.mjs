// A stand-in for `virsh` that tests put first on PATH (see fake-virsh.ts): it answers from a JSON
// scenario the test rewrites between calls, logs every call, and fails the ways a real libvirt
// does. Output follows virsh 9 with -q: `echo` prints no newline, `domstate` prints the state word,
// a failed command prints `error: …` on stderr and virsh goes on, exiting with the last one's status.
import fs from "node:fs";
import path from "node:path";

const dir = process.env.FAKE_VIRSH_DIR;
if (!dir) throw new Error("FAKE_VIRSH_DIR is not set");

/**
 * @typedef {{ uuid: string, name: string, state: string, xml: string }} Domain
 * @typedef {{ domains: Domain[], unreachable?: boolean, vanished?: string[], killAfterDomains?: number }} Scenario
 * unreachable: every call fails as with libvirtd stopped (and a running `event --loop` ends);
 * vanished: UUIDs still listed but gone when read; killAfterDomains: the batch read is killed
 * (SIGKILL) once it printed that many domains.
 */
/** @returns {Scenario} */
const scenario = () => JSON.parse(fs.readFileSync(path.join(dir, "scenario.json"), "utf8"));

const argv = process.argv.slice(2);
fs.appendFileSync(path.join(dir, "calls.log"), `${JSON.stringify(argv)}\n`);
const args = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "-q") continue;
  if (argv[i] === "-c") i++;
  else args.push(argv[i]);
}

const s = scenario();
const say = (text) => fs.writeSync(1, text);
const complain = (text) => fs.writeSync(2, `error: ${text}\n`);
if (s.unreachable) {
  complain("failed to connect to the hypervisor");
  process.exit(1);
}
const present = (d) => !(s.vanished ?? []).includes(d.uuid);
const byUuid = (uuid) => s.domains.find((d) => d.uuid === uuid && present(d));
const byName = (name) => s.domains.find((d) => d.name === name && present(d));

/** One command of a batch (or of a plain call); returns its exit status. */
function run(words, find) {
  const [cmd, ...rest] = words;
  if (cmd === "echo") return (say(rest.join(" ")), 0);
  if (cmd === "version") return (say("Compiled against library: libvirt 9.0.0\n"), 0);
  if (cmd === "domstate" || cmd === "dumpxml") {
    const id = rest.filter((w) => w !== "--domain")[0];
    const domain = find(id);
    if (!domain) return (complain(`failed to get domain '${id}'`), 1);
    say(`${cmd === "domstate" ? domain.state : domain.xml}\n`);
    return 0;
  }
  complain(`unknown command: '${cmd}'`);
  return 1;
}

if (args[0] === "list") {
  say(s.domains.map((d) => `${d.uuid}\n`).join("") + "\n");
} else if (args[0] === "event") {
  // Prints the lines the test appends to events.log from now on (as virsh prints only the events
  // that come after it started); ends when libvirt becomes unreachable.
  const events = path.join(dir, "events.log");
  const read = () => (fs.existsSync(events) ? fs.readFileSync(events, "utf8") : "");
  let offset = read().length;
  // Tells the test this listener is up (see FakeVirsh.emit): a line appended before now is not its to print.
  const listening = path.join(dir, "listening", String(process.pid));
  fs.mkdirSync(path.dirname(listening), { recursive: true });
  fs.writeFileSync(listening, "");
  const unlisten = () => fs.rmSync(listening, { force: true });
  process.on("exit", unlisten);
  for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
  setInterval(() => {
    if (scenario().unreachable) process.exit(0);
    const text = read();
    if (text.length > offset) say(text.slice(offset));
    offset = text.length;
  }, 50);
} else if (args.length === 1 && args[0].includes(" ; ")) {
  let status = 0;
  let read = 0;
  for (const command of args[0].split(" ; ")) {
    const words = command.trim().split(/\s+/);
    status = run(words, byUuid);
    if (words[0] === "dumpxml" && status === 0 && ++read === s.killAfterDomains) process.kill(process.pid, "SIGKILL");
  }
  process.exit(status);
} else {
  process.exit(run(args, byName));
}
