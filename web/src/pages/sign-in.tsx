import { useState } from 'preact/hooks';
import { ApiError, signIn } from '../api';

const MESSAGES: Record<string, string> = {
  invalid_credentials: 'Email or password is incorrect.',
  forbidden: 'This account is not an administrator: the console is for administrators only.',
  rate_limited: 'Too many attempts. Wait a minute and try again.',
  ip_blocked: 'Sign-in from this address is blocked.',
  emergency_mode: 'Emergency mode is on: only administrators may sign in.',
  network: 'Vigil cannot be reached.',
};

/** The sign-in form: a fetch to /api/v1/console/session (never a form post: the CSP forbids those). */
export function SignIn() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(email, password);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, 'network', String(e));
      setError(MESSAGES[err.code] ?? err.detail);
      setBusy(false);
    }
  }

  return (
    <main class="sign-in" id="main">
      <form class="panel" onSubmit={(e) => void submit(e)} aria-describedby={error ? 'sign-in-error' : undefined}>
        <h1>Vigil console</h1>
        <p class="muted">Sign in with an administrator account.</p>
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} autoFocus />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        {error && <p id="sign-in-error" class="note error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
