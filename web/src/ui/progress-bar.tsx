/** A determinate progress bar that assistive technology reads as one (0–100). */
export function ProgressBar({
  value,
  label,
  tone = "active",
}: {
  value: number;
  label: string;
  tone?: "active" | "done" | "failed" | "cancelled";
}) {
  const clamped = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div
      className={`progress progress-${tone}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped}
      aria-valuetext={`${clamped}%`}
    >
      <div className="progress-fill" style={{ width: `${clamped}%` }} />
    </div>
  );
}
