import { useState } from 'preact/hooks';
import { admin, get, post, session } from '../api';
import { useAction, useLoad } from '../hooks';
import { Badge, Confirm, DoneNote, Empty, ErrorNote, Loading, Panel, Time } from '../ui';

interface User {
  id: string;
  email: string;
  name: string | null;
  role: string;
  created_at: string;
  last_login_at: string | null;
  disabled_at: string | null;
  locked_until: string | null;
  active_sessions: number;
}
interface Page {
  users: User[];
  next_cursor: string | null;
}

interface Pending {
  user: User;
  verb: 'disable' | 'revoke-sessions';
}

export function UsersPage() {
  const [form, setForm] = useState({ q: '', role: '', status: '' });
  const [query, setQuery] = useState(form);
  const [cursor, setCursor] = useState<string | null>(null);
  const users = useLoad(() => {
    const params = new URLSearchParams({ limit: '50' });
    if (query.q) params.set('q', query.q);
    if (query.role) params.set('role', query.role);
    if (query.status) params.set('status', query.status);
    if (cursor) params.set('cursor', cursor);
    return get<Page>(admin(`/users?${params}`));
  }, [query, cursor]);
  const action = useAction();
  const [pending, setPending] = useState<Pending | null>(null);
  const me = session.user()?.id;

  const run = (user: User, verb: 'disable' | 'enable' | 'unlock' | 'revoke-sessions') =>
    action.run(async () => {
      const res = await post<{ revoked?: number }>(admin(`/users/${encodeURIComponent(user.id)}/${verb}`));
      users.reload();
      if (verb === 'revoke-sessions') return `Revoked ${res?.revoked ?? 0} session(s) of ${user.email}.`;
      return `${user.email}: ${verb === 'disable' ? 'disabled' : verb === 'enable' ? 'enabled' : 'unlocked'}.`;
    });

  return (
    <div class="grid">
      <Panel title="Find users">
        <form class="inline-form" role="search" onSubmit={(e) => {
          e.preventDefault();
          setCursor(null);
          setQuery({ ...form });
        }}>
          <label>Email or name<input type="search" value={form.q} onInput={(e) => setForm({ ...form, q: e.currentTarget.value })} /></label>
          <label>Role
            <select value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
              <option value="">any</option><option value="admin">admin</option><option value="user">user</option>
            </select>
          </label>
          <label>Status
            <select value={form.status} onChange={(e) => setForm({ ...form, status: e.currentTarget.value })}>
              <option value="">any</option><option value="active">active</option><option value="disabled">disabled</option><option value="locked">locked</option>
            </select>
          </label>
          <button type="submit" class="primary">Search</button>
        </form>
      </Panel>
      <Panel title="Users">
        <ErrorNote error={users.error ?? action.error} />
        <DoneNote text={action.done} />
        {users.loading && !users.data && <Loading what="users" />}
        {users.data && users.data.users.length === 0 && <Empty text="No user matches." />}
        {users.data && users.data.users.length > 0 && (
          <div class="scroll">
            <table>
              <thead>
                <tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Last sign-in</th><th scope="col">Sessions</th><th scope="col"><span class="sr-only">Actions</span></th></tr>
              </thead>
              <tbody>
                {users.data.users.map((u) => (
                  <tr key={u.id}>
                    <th scope="row">{u.email}{u.name && <span class="sub">{u.name}</span>}</th>
                    <td><Badge value={u.role} /></td>
                    <td>
                      {u.disabled_at ? <Badge value="disabled" /> : u.locked_until ? <Badge value="locked" /> : <Badge value="active" />}
                      {u.locked_until && <span class="muted"> until <Time at={u.locked_until} /></span>}
                    </td>
                    <td><Time at={u.last_login_at} /></td>
                    <td>{u.active_sessions}</td>
                    <td class="actions">
                      {u.disabled_at ? (
                        <button type="button" disabled={action.busy} aria-label={`Enable ${u.email}`} onClick={() => void run(u, 'enable')}>Enable</button>
                      ) : (
                        <button type="button" disabled={action.busy || u.id === me} aria-label={`Disable ${u.email}`} onClick={() => setPending({ user: u, verb: 'disable' })}>Disable…</button>
                      )}
                      {u.locked_until && <button type="button" disabled={action.busy} aria-label={`Unlock ${u.email}`} onClick={() => void run(u, 'unlock')}>Unlock</button>}
                      <button type="button" disabled={action.busy || u.active_sessions === 0} aria-label={`Revoke the sessions of ${u.email}`} onClick={() => setPending({ user: u, verb: 'revoke-sessions' })}>Revoke sessions…</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div class="buttons">
          {cursor && <button type="button" onClick={() => setCursor(null)}>First page</button>}
          {users.data?.next_cursor && <button type="button" onClick={() => setCursor(users.data!.next_cursor)}>Next page</button>}
        </div>
      </Panel>
      <Confirm
        open={pending !== null}
        title={pending?.verb === 'disable' ? `Disable ${pending.user.email}?` : `Revoke every session of ${pending?.user.email ?? ''}?`}
        confirmLabel={pending?.verb === 'disable' ? 'Disable' : 'Revoke sessions'}
        danger
        onClose={(yes) => {
          const p = pending;
          setPending(null);
          if (yes && p) void run(p.user, p.verb);
        }}
      >
        <p>{pending?.verb === 'disable' ? 'The account can no longer sign in, and every session it has is revoked.' : 'Every device of this user is signed out within about a second.'}</p>
      </Confirm>
    </div>
  );
}
