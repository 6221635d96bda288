import { In, type DataSource } from "typeorm";
import { StorageDomain, Volume } from "../../entities/index.js";
import { guardLayers, type FileIdentity, type GuardedLayer } from "../../host/path-guard.js";

/** Deeper than any real chain: a loop in stale rows must not spin. */
const MAX_DEPTH = 64;

const asLayer = (v: Volume): GuardedLayer => ({
  relPath: v.relPath,
  identity: v.fileDevice && v.fileInode ? { device: v.fileDevice, inode: v.fileInode } : null,
});

/**
 * Every file qemu will open for this disk, from the inventory: its own volumes (leaf first) and
 * the template layers below them, each proved by {@link guardLayers} to be the file the scan
 * saw. Returns the real paths of the own volumes and of the whole chain, and the chain's
 * recorded identities (device, inode) in the same order.
 * @throws {PathGuardError}
 */
export async function guardDiskChain(
  db: DataSource,
  domain: StorageDomain,
  own: readonly Volume[],
  roots: readonly string[],
): Promise<{ own: string[]; chain: string[]; identities: FileIdentity[] }> {
  const below: Volume[] = [];
  let next = own[own.length - 1]?.backingVolumeId ?? null;
  while (next && below.length < MAX_DEPTH) {
    const found: Volume | null = await db.getRepository(Volume).findOneBy({ id: next, storageDomainId: In([domain.id]) });
    if (!found) break;
    below.push(found);
    next = found.backingVolumeId;
  }
  const layers = [...own, ...below].map(asLayer);
  const chain = await guardLayers(domain.path, layers, roots);
  // The guard refuses a layer without a recorded identity: every one is set here.
  return { own: chain.slice(0, own.length), chain, identities: layers.map((l) => l.identity!) };
}

/**
 * The given volumes (a recorded chain, leaf first), each proved by {@link guardLayers} to be the
 * file the scan saw; returns their real paths in the same order.
 * @throws {PathGuardError}
 */
export async function guardVolumes(
  db: DataSource,
  domain: StorageDomain,
  volumeIds: readonly string[],
  roots: readonly string[],
): Promise<string[]> {
  const rows = await db.getRepository(Volume).findBy({ id: In([...volumeIds]), storageDomainId: domain.id });
  const byId = new Map(rows.map((v) => [v.id, v]));
  const layers = volumeIds.map((id) => byId.get(id)).filter((v): v is Volume => v !== undefined);
  return guardLayers(domain.path, layers.map(asLayer), roots);
}
