/**
 * IP addresses and CIDR ranges as users write them (`10.0.0.0/8`, `127.0.0.1`, `fd00::/8`): parsed
 * once, checked the same way by the group file's rules and by the router that applies them.
 */
import { createRequire } from 'node:module';

let netIsIP: ((input: string) => number) | undefined;

/**
 * node:net's isIP, loaded on first use: importing node:net loads Node's socket and stream internals, which
 * `validate` (whose deployment-group rules import this module) needs only when a group file names an address.
 */
function isIP(address: string): number {
  netIsIP ??= (createRequire(import.meta.url)('node:net') as typeof import('node:net')).isIP;
  return netIsIP(address);
}

export interface IpRange {
  address: string;
  /** Prefix length; a single address has 32 (IPv4) or 128 (IPv6). */
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses `address` or `address/prefix`; a string result says what is wrong with it. */
export function parseIpRange(text: string): IpRange | string {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0)
    return `'${text}' is not an IP address or CIDR range (e.g. 10.0.0.0/8, 127.0.0.1, fd00::/8)`;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (slash < 0) return { address, prefix: max, family };
  const bits = text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
  if (!(prefix >= 0 && prefix <= max)) return `'${text}' has a prefix length outside 0-${max}`;
  return { address, prefix, family };
}
