import { lazy, Suspense, useEffect, type ReactNode } from "react";
import { DisksPage } from "./disks/disks-page";
import { EventsPage } from "./admin/events-page";
import { HostsPage } from "./admin/hosts-page";
import { TokensPage } from "./admin/tokens-page";
import { DomainsPage } from "./domains/domains-page";
import { humanise } from "./format";
import { JobsPage } from "./jobs/jobs-page";
import { JobTray, WatchedJobsProvider } from "./jobs/watched-jobs";
import { Link, usePath } from "./router";
import { SessionProvider, useSession } from "./session";
import { SignIn } from "./sign-in";
import { LiveStatusBadge } from "./ui/live-status";
import { VmPage } from "./vms/vm-page";
import { VmsPage } from "./vms/vms-page";

// Loaded when first opened: the chart library is most of its weight and no other page needs it.
const ChartsPage = lazy(() => import("./charts/charts-page").then((m) => ({ default: m.ChartsPage })));

const PAGES: Record<string, { title: string; render: () => ReactNode }> = {
  "/": { title: "Disks", render: () => <DisksPage /> },
  "/jobs": { title: "Jobs", render: () => <JobsPage /> },
  "/domains": { title: "Storage domains", render: () => <DomainsPage /> },
  "/vms": { title: "VMs", render: () => <VmsPage /> },
  "/vm": { title: "VM", render: () => <VmPage /> },
  "/charts": {
    title: "Charts",
    render: () => (
      <Suspense fallback={<p role="status">Loading…</p>}>
        <ChartsPage />
      </Suspense>
    ),
  },
  "/hosts": { title: "Hosts", render: () => <HostsPage /> },
  "/tokens": { title: "API tokens", render: () => <TokensPage /> },
  "/events": { title: "Audit trail", render: () => <EventsPage /> },
};

function NotFound() {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. Go to the <Link to="/">disks</Link>, the <Link to="/jobs">jobs</Link> or the{" "}
        <Link to="/domains">storage domains</Link>.
      </p>
    </section>
  );
}

function Shell() {
  const { api, me, signOut } = useSession();
  const path = usePath();
  const page = PAGES[path];
  useEffect(() => {
    document.title = `${page?.title ?? "Not found"} · Sparsify`;
  }, [page]);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Sparsify</span>
        <nav aria-label="Main" className="nav">
          <Link to="/">Disks</Link>
          <Link to="/jobs">Jobs</Link>
          <Link to="/domains">Storage domains</Link>
          <Link to="/vms">VMs</Link>
          <Link to="/charts">Charts</Link>
          <Link to="/hosts">Hosts</Link>
          <Link to="/tokens">Tokens</Link>
          <Link to="/events">Audit</Link>
        </nav>
        <div className="topbar-end">
          <LiveStatusBadge api={api} />
          <span className="who">
            <span className="visually-hidden">Signed in as </span>
            {me.name}
            <span className={`role role-${me.role.toLowerCase()}`} title="Your token's role">
              {humanise(me.role)}
            </span>
          </span>
          <button type="button" className="button button-on-dark" onClick={() => signOut("You signed out.")}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        <JobTray />
        {page ? page.render() : <NotFound />}
      </main>
      <footer className="footer small">
        GraphQL API and GraphiQL at <a href="/graphql">/graphql</a>
      </footer>
    </div>
  );
}

export function App() {
  return (
    <SessionProvider
      signedOut={(controls) => <SignIn {...controls} />}
      checking={<p className="checking">Checking your token…</p>}
    >
      <WatchedJobsProvider>
        <Shell />
      </WatchedJobsProvider>
    </SessionProvider>
  );
}
