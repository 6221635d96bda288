/** One line of `virsh event --loop --all`: `event 'lifecycle' for domain 'vm1': Started Booted`. */
export interface LibvirtEventLine {
  type: string;
  /** The domain's name; null when the line names none (or cannot be read). */
  domain: string | null;
  detail: string;
}

const HEAD = "event '";
const MID = "' for domain '";

/**
 * Reads an event line. Not XML: plain text virsh prints. Domain names may hold quotes, so the
 * name runs to the last `': ` (event details are libvirt's fixed words and device aliases).
 */
export function parseEventLine(line: string): LibvirtEventLine | null {
  const start = line.indexOf(HEAD);
  if (start < 0) return null;
  const rest = line.slice(start + HEAD.length);
  const mid = rest.indexOf(MID);
  if (mid < 0) {
    const end = rest.indexOf("'");
    return end < 0 ? null : { type: rest.slice(0, end), domain: null, detail: rest.slice(end + 1).trim() };
  }
  const type = rest.slice(0, mid);
  const after = rest.slice(mid + MID.length);
  const end = after.lastIndexOf("':");
  if (end < 0) return { type, domain: null, detail: after };
  return { type, domain: after.slice(0, end), detail: after.slice(end + 2).trim() };
}
