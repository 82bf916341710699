import { CliError, EXIT, type CliIo } from './context.js';

/** More than any password the policy accepts (128 characters), far less than a mistaken file. */
const MAX_STDIN_BYTES = 4096;

/**
 * Reads a secret piped on stdin (`--password-stdin`): everything up to the end, minus one trailing
 * newline, so `echo "$PW" | vigil …` and `vigil … < file` both work.
 */
export async function readSecretFromStdin(io: CliIo, what = 'password'): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    size += buf.length;
    if (size > MAX_STDIN_BYTES) throw new CliError(`error: stdin holds more than ${MAX_STDIN_BYTES} bytes; expected one ${what}`, EXIT.failure);
    chunks.push(buf);
  }
  const value = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (value === '') throw new CliError(`error: no ${what} on stdin`, EXIT.failure);
  return value;
}

/** Whether a hidden prompt is possible: stdin is a terminal we can put in raw mode. */
export const canPrompt = (io: CliIo): boolean => io.stdin.isTTY === true && typeof io.stdin.setRawMode === 'function';

/**
 * Asks for a secret on the terminal without echoing it. The prompt goes to stderr so stdout
 * carries only the command's result. Ctrl-C or Ctrl-D on an empty line cancels.
 */
export function promptHidden(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin;
  if (!canPrompt(io)) return Promise.reject(new CliError('error: stdin is not a terminal: pass the password with --password-stdin', EXIT.usage));
  io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    let escape = false;
    const finish = (error?: CliError) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (escape) {
          // Skip the rest of an escape sequence (arrow keys and the like): letters and ~ end it.
          if (/[A-Za-z~]/.test(ch)) escape = false;
          continue;
        }
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new CliError('error: cancelled', EXIT.failure));
        if (ch === '\u0004') return value === '' ? finish(new CliError('error: cancelled', EXIT.failure)) : finish();
        if (ch === '\u007f' || ch === '\b') {
          value = [...value].slice(0, -1).join('');
          continue;
        }
        if (ch === '\u001b') {
          escape = true;
          continue;
        }
        if (ch < ' ') continue;
        value += ch;
      }
    };
    stdin.setRawMode?.(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}
