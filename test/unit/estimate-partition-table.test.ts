import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parseGptEntries, parseGptHeader } from "../../src/host/estimate/gpt.js";
import { parseEbr, parseMbr } from "../../src/host/estimate/mbr.js";
import { readDiskLayout, type Partition } from "../../src/host/estimate/partition-table.js";
import { fixtureJson, headOf, sectorReader, type SectorDump } from "../support/estimate-fixtures.js";

interface SfdiskJson {
  partitiontable: {
    label: string;
    sectorsize: number;
    partitions: { node: string; start: number; size: number; type: string }[];
  };
}

const EXTENDED = new Set(["5", "f", "85"]);
/** What `sfdisk --json` (util-linux 2.38) reports, as Partitions: the independent oracle. */
function fromSfdisk(name: string): { table: string; partitions: Partition[] } {
  const { partitiontable: t } = fixtureJson<SfdiskJson>(name);
  return {
    table: t.label === "dos" ? "mbr" : t.label,
    partitions: t.partitions
      .filter((p) => !EXTENDED.has(p.type.toLowerCase()))
      .map((p) => ({ number: Number(/(\d+)$/.exec(p.node)![1]), start: p.start * t.sectorsize, length: p.size * t.sectorsize })),
  };
}

const disk = (name: string) => fixtureJson<SectorDump>(name);

describe("readDiskLayout agrees with sfdisk --json on disks sfdisk made", () => {
  it.each([
    ["disk-mbr.json", "disk-mbr.sfdisk.json"],
    ["disk-mbr-logical.json", "disk-mbr-logical.sfdisk.json"],
    ["disk-gpt.json", "disk-gpt.sfdisk.json"],
  ])("%s", async (name, oracle) => {
    const d = disk(name);
    expect(await readDiskLayout(sectorReader(d), d.size)).toEqual(fromSfdisk(oracle));
  });
});

describe("readDiskLayout on damaged or hostile tables", () => {
  const GiB = 1024 ** 3;
  /** A copy of `d` with `bytes` written at byte `at` of sector `lba`. */
  const edit = (d: SectorDump, lba: number, at: number, bytes: number[]): SectorDump => {
    const sector = Buffer.alloc(512);
    Buffer.from(d.sectors[lba] ?? "", "base64").copy(sector);
    Buffer.from(bytes).copy(sector, at);
    return { size: d.size, sectors: { ...d.sectors, [lba]: sector.toString("base64") } };
  };

  it("GPT with a corrupt primary header: the backup at the last sector is used", async () => {
    const d = edit(disk("disk-gpt.json"), 1, 24, [0x07]); // "current LBA" changed: the header CRC no longer matches
    expect((await readDiskLayout(sectorReader(d), d.size)).partitions).toEqual(fromSfdisk("disk-gpt.sfdisk.json").partitions);
  });

  it("GPT whose (valid, CRC-correct) primary header points its entries beyond the disk: backup used", async () => {
    const d = disk("disk-gpt.json");
    const header = Buffer.alloc(512);
    Buffer.from(d.sectors[1]!, "base64").copy(header);
    header.writeBigUInt64LE(2n ** 40n, 72);
    header.writeUInt32LE(0, 16);
    header.writeUInt32LE(crc32(header.subarray(0, header.readUInt32LE(12))), 16);
    const hostile = { size: d.size, sectors: { ...d.sectors, 1: header.toString("base64") } };
    expect((await readDiskLayout(sectorReader(hostile), hostile.size)).partitions).toEqual(
      fromSfdisk("disk-gpt.sfdisk.json").partitions,
    );
  });

  it("GPT with corrupt entries in both copies: a GPT disk without partitions", async () => {
    const original = disk("disk-gpt.json");
    const backupEntriesLba = original.size / 512 - 1 - 32; // 128 entries × 128 bytes before the backup header
    const both = edit(edit(original, 2, 56, [0x41]), backupEntriesLba, 56, [0x41]); // an "A" in the first entry's name
    expect(await readDiskLayout(sectorReader(both), both.size)).toEqual({ table: "gpt", partitions: [] });
  });

  it("no partition table: a whole-disk filesystem", async () => {
    const heads = fixtureJson<Record<string, SectorDump>>("fs-heads.json");
    const ext4 = heads.ext4!;
    expect(await readDiskLayout(sectorReader(ext4), ext4.size)).toEqual({ table: "none", partitions: [] });
  });

  it("a FAT boot sector has 55AA but boot code where the table would be: not a partition table", async () => {
    const vfat = fixtureJson<Record<string, SectorDump>>("fs-heads.json").vfat!;
    expect(parseMbr(await headOf(vfat, 512))).toBeNull();
  });

  it("partitions are cut at the end of the disk, and ones starting beyond it dropped", async () => {
    const sector = Buffer.alloc(512);
    sector.writeUInt16LE(0xaa55, 510);
    const entry = (slot: number, type: number, lba: number, sectors: number) => {
      sector[446 + slot * 16 + 4] = type;
      sector.writeUInt32LE(lba, 446 + slot * 16 + 8);
      sector.writeUInt32LE(sectors, 446 + slot * 16 + 12);
    };
    entry(0, 0x83, 2048, 0xffffffff);
    entry(1, 0x83, 0xfffffff0, 16);
    const layout = await readDiskLayout(async (o, l) => (o === 0 ? sector : Buffer.alloc(l)), GiB);
    expect(layout).toEqual({ table: "mbr", partitions: [{ number: 1, start: 2048 * 512, length: GiB - 2048 * 512 }] });
  });

  it("an EBR chain that loops back is read once", async () => {
    const ebr = Buffer.alloc(512);
    ebr.writeUInt16LE(0xaa55, 510);
    ebr[446 + 4] = 0x83;
    ebr.writeUInt32LE(2048, 446 + 8);
    ebr.writeUInt32LE(2048, 446 + 12);
    ebr[446 + 16 + 4] = 0x05;
    ebr.writeUInt32LE(1, 446 + 16 + 8); // next EBR: extended start + 1 …
    const mbr = Buffer.alloc(512);
    mbr.writeUInt16LE(0xaa55, 510);
    mbr[446 + 4] = 0x05;
    mbr.writeUInt32LE(100, 446 + 8);
    mbr.writeUInt32LE(1_000_000, 446 + 12);
    const loop = Buffer.from(ebr);
    loop.writeUInt32LE(0, 446 + 16 + 8); // … whose next is relative 0: no next
    loop[446 + 16 + 4] = 0x05;
    loop.writeUInt32LE(1, 446 + 16 + 8); // points to itself
    const read = async (o: number, l: number) =>
      o === 0 ? mbr : o === 100 * 512 ? ebr : o === 101 * 512 ? loop : Buffer.alloc(l);
    const layout = await readDiskLayout(read, GiB);
    expect(layout.partitions.map((p) => p.number)).toEqual([5, 6]);
  });
});

describe("parseMbr / parseEbr / GPT parsers", () => {
  it("parseMbr: the sfdisk-made table's one Linux partition", async () => {
    expect(parseMbr(await headOf(disk("disk-mbr.json"), 512))).toEqual([
      { slot: 0, type: 0x83, firstLba: 2048, sectors: 2095104 },
    ]);
  });

  it("parseMbr: a protective MBR carries type 0xEE", async () => {
    expect(parseMbr(await headOf(disk("disk-gpt.json"), 512))?.[0]?.type).toBe(0xee);
  });

  it("parseEbr: without 55AA there is nothing", () => expect(parseEbr(Buffer.alloc(512), 10, 5)).toEqual({}));

  it("parseGptHeader refuses a header read from another LBA than it claims", async () => {
    const sector = (await sectorReader(disk("disk-gpt.json"))(512, 512)) as Buffer;
    expect(parseGptHeader(sector, 1)).not.toBeNull();
    expect(parseGptHeader(sector, 2)).toBeNull();
  });

  it("parseGptEntries names the type GUIDs the way sfdisk does", async () => {
    const read = sectorReader(disk("disk-gpt.json"));
    const header = parseGptHeader(await read(512, 512), 1)!;
    const entries = parseGptEntries(await read(header.entriesLba * 512, header.entryCount * header.entrySize), header)!;
    expect(entries.map((e) => e.typeGuid.toUpperCase())).toEqual([
      "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
      "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F",
    ]);
  });
});
