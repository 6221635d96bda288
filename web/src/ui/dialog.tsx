import { useEffect, useId, useRef, type ReactNode, type RefObject } from "react";
import { useScrolls } from "./use-scrolls";

/**
 * A modal on the native <dialog>: the browser makes the page behind it inert, keeps Tab inside,
 * closes it on Escape and gives focus back to the opener. We only choose the first focus.
 */
export function Dialog({
  title,
  onClose,
  initialFocus,
  children,
  footer,
  busy = false,
}: {
  title: string;
  onClose: () => void;
  initialFocus?: RefObject<HTMLElement | null>;
  children: ReactNode;
  footer: ReactNode;
  /** While true, Escape does not close it (a request is in flight). */
  busy?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const opener = useRef<Element | null>(null);
  const body = useRef<HTMLDivElement>(null);
  // A body taller or wider than the window (a phone, a long list of disks) scrolls: it then takes the focus too.
  const scrolls = useScrolls(body);

  useEffect(() => {
    const dialog = ref.current!;
    opener.current = document.activeElement;
    dialog.showModal();
    initialFocus?.current?.focus();
    return () => {
      dialog.close();
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    };
    // Opened once per mount: the parent mounts the dialog to open it and unmounts it to close it.
  }, []);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onClose();
      }}
    >
      <h2 id={titleId} className="dialog-title">
        {title}
      </h2>
      <div ref={body} className="dialog-body" {...(scrolls ? { tabIndex: 0, role: "region", "aria-labelledby": titleId } : {})}>
        {children}
      </div>
      <div className="dialog-footer">{footer}</div>
    </dialog>
  );
}
