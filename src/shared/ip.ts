import ipaddr from 'ipaddr.js';

/** An IP address or a CIDR range, parsed once. */
export interface IpTarget {
  /** Canonical text: `203.0.113.7`, `2001:db8::/64`, `10.0.0.0/8`. */
  text: string;
  kind: 'ipv4' | 'ipv6';
  range: [ipaddr.IPv4 | ipaddr.IPv6, number];
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Client addresses parsed recently: every request asks for its address three or four times
 * (block list, allowlist, limit key) and most traffic comes from few addresses. Bounded: cleared
 * when full. The parsed objects are shared, so nothing may modify them.
 */
const PARSED_MAX = 10_000;
const parsed = new Map<string, { addr: Address; text: string } | null>();

function lookup(raw: string): { addr: Address; text: string } | null {
  let entry = parsed.get(raw);
  if (entry === undefined) {
    if (parsed.size >= PARSED_MAX) parsed.clear();
    const addr = parseUncached(raw);
    entry = addr ? { addr, text: addr.toString() } : null;
    parsed.set(raw, entry);
  }
  return entry;
}

/** Parses an address (IPv4-mapped IPv6 becomes IPv4); undefined when it is not one. */
export function parseIp(raw: string): Address | undefined {
  return lookup(raw)?.addr;
}

function parseUncached(raw: string): Address | undefined {
  const text = raw.trim();
  if (!ipaddr.isValid(text)) return undefined;
  // ipaddr.isValid accepts forms like "1" or "0x7f.1"; accept only the canonical dotted/colon forms.
  if (!ipaddr.IPv4.isValidFourPartDecimal(text) && !ipaddr.IPv6.isValid(text)) return undefined;
  const addr = ipaddr.parse(text);
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}

/** Parses `IP` or `IP/prefix`; the range is normalised to its network address. */
export function parseTarget(raw: string): IpTarget | undefined {
  const text = raw.trim();
  const slash = text.indexOf('/');
  const addr = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (!addr) return undefined;
  const max = addr.kind() === 'ipv4' ? 32 : 128;
  let bits = max;
  if (slash !== -1) {
    const prefix = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return undefined;
    bits = Number(prefix);
  }
  const network = bits === max ? addr : networkOf(addr, bits);
  return {
    text: bits === max ? network.toString() : `${network.toString()}/${bits}`,
    kind: addr.kind(),
    range: [network, bits],
  };
}

function networkOf(addr: ipaddr.IPv4 | ipaddr.IPv6, bits: number): ipaddr.IPv4 | ipaddr.IPv6 {
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = bytes[i]! & (0xff << (8 - keep)) & 0xff;
  }
  return ipaddr.fromByteArray(bytes);
}

/** Whether an address lies in a target (an exact IP or a range). */
export function contains(target: IpTarget, addr: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return addr.kind() === target.kind && addr.match(target.range as never);
}

/**
 * The key a client is limited and blocked by: its IPv4 address, or its IPv6 /`v6Prefix` network
 * (one host usually owns a whole /64, so per-address limits would be trivial to dodge).
 */
export function clientKey(ip: string, v6Prefix: number): string {
  const entry = lookup(ip);
  if (!entry) return ip;
  const { addr } = entry;
  if (addr.kind() === 'ipv4' || v6Prefix >= 128) return entry.text;
  return `${networkOf(addr, v6Prefix).toString()}/${v6Prefix}`;
}

/** A set of targets checked together (allowlists, block lists). */
export class IpSet {
  private readonly exact = new Set<string>();
  private readonly ranges: IpTarget[] = [];

  constructor(targets: Iterable<IpTarget> = []) {
    for (const t of targets) this.add(t);
  }

  add(target: IpTarget): void {
    const [, bits] = target.range;
    if (bits === (target.kind === 'ipv4' ? 32 : 128)) this.exact.add(target.text);
    else this.ranges.push(target);
  }

  has(ip: string): boolean {
    if (this.exact.size === 0 && this.ranges.length === 0) return false;
    const entry = lookup(ip);
    if (!entry) return false;
    const { addr } = entry;
    if (this.exact.has(entry.text)) return true;
    return this.ranges.some((r) => contains(r, addr));
  }

  get size(): number {
    return this.exact.size + this.ranges.length;
  }
}
