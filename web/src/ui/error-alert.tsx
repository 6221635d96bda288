import { asApiError, describeError } from "../api/errors";

/** An API error in words, with the disk's reasons when the gateway listed them. */
export function ErrorAlert({
  error,
  title,
  onRetry,
  onDismiss,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
  onDismiss?: () => void;
}) {
  const e = asApiError(error);
  return (
    <div className="alert alert-error" role="alert">
      <div className="alert-body">
        {title && <strong>{title} </strong>}
        <span>{describeError(e)}</span>
        {e.blockers.length > 0 && (
          <ul className="reasons">
            {e.blockers.map((b, i) => (
              <li key={`${b.code}-${i}`}>{b.message}</li>
            ))}
          </ul>
        )}
      </div>
      <div className="alert-actions">
        {onRetry && (
          <button type="button" className="button" onClick={onRetry}>
            Try again
          </button>
        )}
        {onDismiss && (
          <button type="button" className="button button-quiet" onClick={onDismiss} aria-label="Dismiss this message">
            Dismiss
          </button>
        )}
      </div>
    </div>
  );
}
