import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { hasSessionHint, resume, session, signOut, type ConsoleUser } from './api';
import { useStreamState } from './hooks';
import { AlertsPage } from './pages/alerts';
import { ConfigPage } from './pages/config';
import { IncidentsPage } from './pages/incidents';
import { MaintenancePage } from './pages/maintenance';
import { OverviewPage } from './pages/overview';
import { SecurityPage } from './pages/security';
import { SignIn } from './pages/sign-in';
import { UsersPage } from './pages/users';
import { useRoute } from './router';
import { stream } from './stream';
import { Link } from './ui';

const PAGES = [
  { route: '', title: 'Overview' },
  { route: 'security', title: 'Security' },
  { route: 'alerts', title: 'Alerts' },
  { route: 'incidents', title: 'Incidents' },
  { route: 'users', title: 'Users' },
  { route: 'maintenance', title: 'Maintenance' },
  { route: 'config', title: 'Config' },
] as const;

function Page({ route }: { route: string }) {
  const [top, ...rest] = route.split('/');
  switch (top) {
    case '':
    case 'overview':
      return <OverviewPage />;
    case 'security':
      return <SecurityPage />;
    case 'alerts':
      return <AlertsPage />;
    case 'incidents':
      return <IncidentsPage id={rest[0]} />;
    case 'users':
      return <UsersPage />;
    case 'maintenance':
      return <MaintenancePage />;
    case 'config':
      return <ConfigPage />;
    default:
      return (
        <p>
          There is no console page at this address. <Link to="">Go to the overview</Link>.
        </p>
      );
  }
}

const STREAM_LABEL = { live: 'Live', connecting: 'Reconnecting…', offline: 'Offline' };

function Shell({ user }: { user: ConsoleUser }) {
  const route = useRoute();
  const live = useStreamState();
  const top = route.split('/')[0] ?? '';
  const page = PAGES.find((p) => p.route === top) ?? (top === 'overview' ? PAGES[0] : undefined);
  useEffect(() => {
    document.title = `${page?.title ?? 'Not found'} · Vigil console`;
  }, [page]);
  useEffect(() => {
    stream.start();
    return () => stream.stop();
  }, []);
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Vigil</span>
        <nav aria-label="Console pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.route}>
                <Link to={p.route} current={p === page}>{p.title}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class={`live live-${live}`} role="status" aria-live="polite" title="Live updates">
            {STREAM_LABEL[live]}
          </span>
          <span class="user" title={user.email}>{user.email}</span>
          <button type="button" onClick={() => void signOut()}>Sign out</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <h1 class="page-title">{page?.title ?? 'Not found'}</h1>
        <Page route={route} />
      </main>
    </>
  );
}

function App() {
  const [user, setUser] = useState<ConsoleUser | null>(session.user());
  // Without a session to resume, the sign-in form shows at once (no refresh call, no extra render).
  const [checked, setChecked] = useState(() => !hasSessionHint());
  useEffect(() => {
    const off = session.subscribe(setUser);
    if (!checked) void resume().finally(() => setChecked(true));
    return off;
  }, []);
  if (!checked) return <p class="muted center" role="status">Loading…</p>;
  return user ? <Shell user={user} /> : <SignIn />;
}

render(<App />, document.getElementById('app')!);
