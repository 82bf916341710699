import type { Transporter } from 'nodemailer';
import { describe, type NotificationMessage } from '../message.js';
import { DeliveryError, type Receiver } from './types.js';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string | undefined;
  password: string | undefined;
  from: string;
  to: string[];
}

/** Subject and text of an alert email. */
export function emailContent(m: NotificationMessage): { subject: string; text: string } {
  const { title, lines } = describe(m);
  return { subject: `Vigil ${title}`, text: `${lines.join('\n')}\n\n${m.externalURL}\n` };
}

/** Email over SMTP with nodemailer (ALERT_EMAIL_ENABLED, SMTP_*, ALERT_EMAIL_FROM/TO). */
export function emailReceiver(name: string, smtp: SmtpSettings, timeoutMs: number): Receiver {
  // nodemailer is loaded with the first email: most instances never send one (4 MiB of memory).
  let transport: Promise<Transporter> | undefined;
  const transporter = () =>
    (transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      }),
    ));
  return {
    name,
    kind: 'email',
    async send(message, { idempotencyKey }) {
      const { subject, text } = emailContent(message);
      try {
        await (await transporter()).sendMail({ from: smtp.from, to: smtp.to, subject, text, headers: { 'X-Vigil-Idempotency-Key': idempotencyKey }, messageId: `<${idempotencyKey}@vigil>` });
      } catch (e) {
        const err = e as { responseCode?: number; code?: string };
        // 5xx SMTP replies are permanent (bad recipient, refused); the rest is worth another try.
        const permanent = typeof err.responseCode === 'number' && err.responseCode >= 500;
        throw new DeliveryError(`${name}: SMTP ${err.responseCode ?? err.code ?? 'error'}`, !permanent);
      }
    },
  };
}
