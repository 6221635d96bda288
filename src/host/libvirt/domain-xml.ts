import { XMLParser } from "fast-xml-parser";

/** One `<disk>` of a domain, as read from its XML. */
export interface DomainDisk {
  /** `<disk type>`: file, block, network, volume… Only file disks map to inventory volumes. */
  type: string;
  device: string;
  source: string | null;
  driverType: string | null;
  target: string | null;
  bus: string | null;
  readOnly: boolean;
  shareable: boolean;
  /** `<backingStore>` chain, top first, as libvirt describes it (live XML only). */
  backingStore: { source: string | null; format: string | null }[];
}

export interface DomainDescription {
  uuid: string;
  name: string;
  disks: DomainDisk[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Elements that may repeat are always arrays, so one disk and many disks read the same way. */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseAttributeValue: false,
  parseTagValue: false,
  processEntities: true,
  isArray: (name) => name === "disk" || name === "domain",
});

type Node = Record<string, unknown>;
const obj = (v: unknown): Node | null => (v && typeof v === "object" && !Array.isArray(v) ? (v as Node) : null);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const text = (v: unknown): string | null => str(v) ?? str(obj(v)?.["#text"]);

/** `<source file|dev|volume|name>`: the attribute that names what the disk opens. */
function sourceOf(node: Node | null): string | null {
  const source = obj(node?.source);
  if (!source) return null;
  return str(source["@file"]) ?? str(source["@dev"]) ?? str(source["@name"]) ?? str(source["@volume"]);
}

function backingChain(disk: Node): DomainDisk["backingStore"] {
  const out: DomainDisk["backingStore"] = [];
  let node = obj(disk.backingStore);
  // A hostile or broken XML could nest deeply; libvirt itself caps chains far below this.
  while (node && out.length < 64) {
    if (node.source === undefined && node.format === undefined) break; // `<backingStore/>` = end
    out.push({ source: sourceOf(node), format: str(obj(node.format)?.["@type"]) });
    node = obj(node.backingStore);
  }
  return out;
}

function readDisk(disk: Node): DomainDisk {
  const driver = obj(disk.driver);
  const target = obj(disk.target);
  return {
    type: str(disk["@type"]) ?? "file",
    device: str(disk["@device"]) ?? "disk",
    source: sourceOf(disk),
    driverType: str(driver?.["@type"]),
    target: str(target?.["@dev"]),
    bus: str(target?.["@bus"]),
    readOnly: disk.readonly !== undefined,
    shareable: disk.shareable !== undefined,
    backingStore: backingChain(disk),
  };
}

function readDomain(domain: Node, requireUuid = true): DomainDescription {
  const uuid = text(domain.uuid)?.trim().toLowerCase() ?? "";
  if (requireUuid && !UUID.test(uuid)) throw new Error("domain XML has no valid <uuid>");
  const name = text(domain.name) ?? "";
  const devices = obj(domain.devices);
  const disks = (Array.isArray(devices?.disk) ? devices.disk : []).map((d) => readDisk(obj(d) ?? {}));
  return { uuid, name, disks };
}

/** Parses one `virsh dumpxml` output. Throws on XML that is not a domain (or has no valid UUID unless told). */
export function parseDomainXml(xml: string, { requireUuid = true } = {}): DomainDescription {
  const doc = parser.parse(xml) as Node;
  const domains = doc.domain;
  if (!Array.isArray(domains) || domains.length !== 1) throw new Error("not a libvirt domain XML");
  return readDomain(obj(domains[0]) ?? {}, requireUuid);
}
