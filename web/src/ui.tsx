import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { ApiError } from './api';
import { BASE, onLinkClick } from './router';

export function Link(props: { to: string; children: ComponentChildren; class?: string; current?: boolean }) {
  return (
    <a href={`${BASE}/${props.to}`} class={props.class} aria-current={props.current ? 'page' : undefined} onClick={(e) => onLinkClick(e as unknown as MouseEvent, props.to)}>
      {props.children}
    </a>
  );
}

/** A section of a page with its heading (and an optional toolbar beside it). */
export function Panel(props: { title: string; id?: string; actions?: ComponentChildren; children: ComponentChildren }) {
  const id = props.id ?? `panel-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section class="panel" aria-labelledby={id}>
      <div class="panel-head">
        <h2 id={id}>{props.title}</h2>
        {props.actions && <div class="panel-actions">{props.actions}</div>}
      </div>
      {props.children}
    </section>
  );
}

export function ErrorNote({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <p class="note error" role="alert">
      {error.detail || error.code}
      {error.status ? <span class="muted"> ({error.status} {error.code})</span> : null}
    </p>
  );
}

export function DoneNote({ text }: { text: string | undefined }) {
  return text ? <p class="note ok" role="status">{text}</p> : null;
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" role="status">Loading {what}…</p>;
}

export function Empty({ text }: { text: string }) {
  return <p class="muted empty">{text}</p>;
}

export function Badge({ value, kind }: { value: string; kind?: string }) {
  return <span class={`badge badge-${(kind ?? value).toLowerCase().replace(/[^a-z0-9]+/g, '-')}`}>{value}</span>;
}

/**
 * A modal confirmation (the native <dialog>: focus moves in, Escape cancels, the page behind is
 * inert). `open` shows it; onClose receives whether the operator confirmed.
 */
export function Confirm(props: { open: boolean; title: string; confirmLabel: string; danger?: boolean; onClose: (confirmed: boolean) => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="dialog-title" onCancel={(e) => { e.preventDefault(); props.onClose(false); }}>
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); props.onClose(true); }}>
        <h2 id="dialog-title">{props.title}</h2>
        <div class="dialog-body">{props.children}</div>
        <div class="dialog-actions">
          <button type="button" onClick={() => props.onClose(false)} autofocus>Cancel</button>
          <button type="submit" class={props.danger ? 'danger' : 'primary'}>{props.confirmLabel}</button>
        </div>
      </form>
    </dialog>
  );
}

const rtf = typeof Intl !== 'undefined' ? new Intl.RelativeTimeFormat('en', { numeric: 'auto' }) : undefined;

/** "3 min ago" / "in 2 h", with the exact time as a tooltip. */
export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span class="muted">—</span>;
  const ms = Date.parse(at);
  const diff = (ms - Date.now()) / 1000;
  const abs = Math.abs(diff);
  const [n, unit] = abs < 60 ? [diff, 'second'] : abs < 3600 ? [diff / 60, 'minute'] : abs < 86_400 ? [diff / 3600, 'hour'] : [diff / 86_400, 'day'];
  const text = rtf ? rtf.format(Math.round(n), unit as Intl.RelativeTimeFormatUnit) : at;
  return <time dateTime={at} title={new Date(ms).toLocaleString()}>{text}</time>;
}

export const fmt = {
  pct: (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)} %`),
  num: (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toLocaleString('en')),
  bytes: (n: number) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`),
};
