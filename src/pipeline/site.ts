/**
 * Sites: routing, thresholds and rollout are per site. A site is recognised from where an instance came
 * from — the calling AE title, the peer address, the watched PACS, or the authenticated principal — by the
 * first configured site whose criteria all match; otherwise the default site.
 */
import type { SiteConfig } from '../config/index.ts';

/** What is known about a sender when its site is resolved. */
export interface SiteEvidence {
  readonly callingAet?: string;
  readonly peerAddress?: string;
  readonly pacsId?: string;
  readonly principal?: string;
}

function listed(list: readonly string[] | undefined, value: string | undefined): boolean {
  return list === undefined || (value !== undefined && list.some((entry) => entry.trim() === value.trim()));
}

/** Resolves the site of an instance. */
export function resolveSite(
  sites: readonly SiteConfig[],
  defaultSite: string,
  evidence: SiteEvidence,
): string {
  for (const site of sites) {
    const match = site.match;
    if (
      listed(match.callingAeTitles, evidence.callingAet) &&
      listed(match.peerAddresses, normaliseAddress(evidence.peerAddress)) &&
      listed(match.pacs, evidence.pacsId) &&
      listed(match.principals, evidence.principal)
    ) {
      return site.id;
    }
  }
  return defaultSite;
}

/** Strips the IPv4-mapped IPv6 prefix so that `::ffff:10.0.0.1` matches `10.0.0.1`. */
export function normaliseAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') === true ? address.slice(7) : address;
}

/** Whether an address is a loopback address. */
export function isLoopback(address: string | undefined): boolean {
  const normalised = normaliseAddress(address);
  return normalised === '::1' || normalised?.startsWith('127.') === true;
}
