/**
 * The proxies whose forwarding headers the router believes (`trustedProxies` of the routing table, from
 * the group's `local.trustedProxies`). A request from any other peer has its X-Forwarded-For/-Proto/-Host,
 * Forwarded and X-Real-IP replaced by what the router itself saw.
 */
import { BlockList } from 'node:net';
import { parseIpRange } from '../core/ip-ranges.js';

export class TrustedProxies {
  private readonly list = new BlockList();

  /** `ranges` must have passed `checkTrustedProxies`. */
  constructor(ranges: readonly string[]) {
    for (const text of ranges) {
      const r = parseIpRange(text);
      if (typeof r !== 'string') this.list.addSubnet(r.address, r.prefix, r.family);
    }
  }

  /** Whether the peer address of a connection is one of the trusted proxies. */
  has(address: string | undefined): boolean {
    if (address === undefined) return false;
    // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
    if (address.startsWith('::ffff:') && address.includes('.'))
      return this.list.check(address.slice(7), 'ipv4');
    return this.list.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
  }
}

/** Problems with a `trustedProxies` value, one line each (empty when it is fine). */
export function checkTrustedProxies(input: unknown): string[] {
  if (!Array.isArray(input) || input.some((s) => typeof s !== 'string'))
    return ['trustedProxies must be an array of IP addresses or CIDR ranges'];
  return input.flatMap((s: string) => {
    const r = parseIpRange(s);
    return typeof r === 'string' ? [`trustedProxies: ${r}`] : [];
  });
}
