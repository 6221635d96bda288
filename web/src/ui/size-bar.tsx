import { formatBytes } from "../format";

/**
 * Actual size against virtual size. A qcow2 with snapshots can exceed its virtual size, so the
 * bar is capped and the overflow is said in words.
 */
export function SizeBar({ actual, virtual }: { actual: number; virtual: number }) {
  const ratio = virtual > 0 ? actual / virtual : 0;
  const percent = Math.round(ratio * 100);
  const label = `Actual size ${formatBytes(actual)} is ${percent}% of the virtual size ${formatBytes(virtual)}`;
  return (
    <div className="size-bar" role="img" aria-label={label} title={label}>
      <div
        className={`size-bar-fill${ratio > 1 ? " over" : ""}`}
        style={{ width: `${Math.min(100, Math.max(ratio > 0 ? 1 : 0, ratio * 100))}%` }}
      />
      <span className="size-bar-text" aria-hidden="true">
        {percent}%
      </span>
    </div>
  );
}
