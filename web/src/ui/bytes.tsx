import { exactBytes, formatBytes } from "../format";

/** A size in human units; the exact number of bytes on hover and in the machine-readable value. */
export function Bytes({ value, signed = false }: { value: number | null | undefined; signed?: boolean }) {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  const human = formatBytes(value);
  return (
    <data className="bytes" value={value} title={exactBytes(value)}>
      {signed && value > 0 ? `+${human}` : human}
    </data>
  );
}
