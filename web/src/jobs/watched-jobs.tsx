import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import type { Job } from "../api/types";
import { JobCard } from "./job-card";

const KEY = "sparsify.watched";

interface WatchedJobs {
  ids: string[];
  /** Starts following jobs (newest first); a job already followed moves to the top. */
  watch(jobs: (Job | string)[]): void;
  dismiss(id: string): void;
  seed(id: string): Job | undefined;
}

const Context = createContext<WatchedJobs | null>(null);

export function useWatchedJobs(): WatchedJobs {
  const value = useContext(Context);
  if (!value) throw new Error("useWatchedJobs outside WatchedJobsProvider");
  return value;
}

const load = (): string[] => {
  try {
    const ids = JSON.parse(sessionStorage.getItem(KEY) ?? "[]");
    return Array.isArray(ids) ? ids.filter((id) => typeof id === "string") : [];
  } catch {
    return [];
  }
};

/** The jobs this tab follows, kept across reloads of the tab (sessionStorage). */
export function WatchedJobsProvider({ children }: { children: ReactNode }) {
  const [ids, setIds] = useState<string[]>(load);
  const [seeds] = useState(() => new Map<string, Job>());
  const save = (next: string[]) => {
    sessionStorage.setItem(KEY, JSON.stringify(next));
    return next;
  };
  const watch = useCallback(
    (jobs: (Job | string)[]) => {
      const added = jobs.map((j) => (typeof j === "string" ? j : (seeds.set(j.id, j), j.id)));
      setIds((current) => save([...added, ...current.filter((id) => !added.includes(id))].slice(0, 50)));
    },
    [seeds],
  );
  const dismiss = useCallback((id: string) => setIds((current) => save(current.filter((x) => x !== id))), []);
  const value = useMemo(() => ({ ids, watch, dismiss, seed: (id: string) => seeds.get(id) }), [ids, watch, dismiss, seeds]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

/** The followed jobs as live cards, above whichever page is open. */
export function JobTray() {
  const { ids, dismiss, seed } = useWatchedJobs();
  if (ids.length === 0) return null;
  return (
    <section className="job-tray" aria-labelledby="job-tray-title">
      <div className="job-tray-head">
        <h2 id="job-tray-title">Jobs you started or follow</h2>
        <button type="button" className="button button-quiet" onClick={() => ids.forEach(dismiss)}>
          Clear all
        </button>
      </div>
      <div className="job-tray-list">
        {ids.map((id) => (
          <JobCard key={id} id={id} seed={seed(id)} onDismiss={() => dismiss(id)} />
        ))}
      </div>
    </section>
  );
}
