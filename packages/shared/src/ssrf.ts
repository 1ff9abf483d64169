import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * SSRF guard for webhook URLs, applied twice: at submit on the URL as written
 * (`webhookUrlProblem`), and at connect time on every address DNS returns
 * (`createGuardedLookup`, given to undici's `connect.lookup`), so a name that resolves — or
 * re-resolves after DNS rebinding — to an internal address is refused.
 */

/** Names that are internal whatever DNS says; refused at submit. */
const INTERNAL_NAMES = /(^|\.)(localhost|localdomain|internal|local)\.?$/i;
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

/**
 * Why an address must not be called, or null when it is a public unicast address.
 * Only ipaddr.js's `unicast` range passes: loopback, private, link-local (cloud metadata
 * 169.254.169.254), CGNAT, multicast, unspecified, broadcast, unique-local (fd00:ec2::254),
 * documentation and every IPv6 form embedding an IPv4 address are refused.
 */
export function addressProblem(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'is not an IP address';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  if (range !== 'unicast') return `resolves to a ${range} address`;
  // The deprecated IPv4-compatible form (::a.b.c.d), which ipaddr.js counts as unicast.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).match(IPV4_COMPATIBLE)) {
    return 'resolves to an IPv4-compatible address';
  }
  return null;
}

/** A literal IP in a URL host, in any notation WHATWG's URL parser accepts, else null. */
function literalAddress(hostname: string): string | null {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return ipaddr.isValid(bare) ? bare : null;
}

/**
 * The submit-time check: null when `url` may be used as a webhook target, else a message for
 * the client. The WHATWG URL parser normalises decimal, hex and octal IPv4 notations
 * (`2130706433`, `0x7f.1`, `0177.0.0.1`) and IPv6 forms before the address is classified.
 */
export function webhookUrlProblem(url: string, allowPrivateNetworks: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return 'must use http or https';
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return 'must not contain credentials';
  }
  if (url.length > 2048) return 'must be at most 2048 characters';
  if (allowPrivateNetworks) return null;
  const address = literalAddress(parsed.hostname);
  if (address !== null) {
    return addressProblem(address) === null
      ? null
      : 'must not point to a private, loopback, link-local or metadata address';
  }
  if (INTERNAL_NAMES.test(parsed.hostname) || !parsed.hostname.includes('.')) {
    return 'must not point to a private or loopback host name';
  }
  return null;
}

/** The resolver the guard asks; `dns.lookup` unless a test injects its own. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

/** Raised (as the connect error) when a webhook host resolves to a refused address. */
export class SsrfBlockedError extends Error {
  readonly code = 'ERR_WEBHOOK_SSRF';
  constructor(hostname: string, address: string, problem: string) {
    super(`webhook host ${hostname} ${problem} (${address}); refused`);
    this.name = 'SsrfBlockedError';
  }
}

/**
 * Resolve `hostname` and refuse it when any address is internal (one internal answer is
 * enough: a client may pick any of them). Literal addresses are checked as they are.
 */
export async function resolvePublicAddresses(
  hostname: string,
  resolver: Resolver = systemResolver,
): Promise<LookupAddress[]> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  const addresses = ipaddr.isValid(bare)
    ? [{ address: bare, family: ipaddr.parse(bare).kind() === 'ipv6' ? 6 : 4 }]
    : await resolver(bare);
  if (addresses.length === 0) throw new Error(`webhook host ${hostname} did not resolve`);
  for (const { address } of addresses) {
    const problem = addressProblem(address);
    if (problem !== null) throw new SsrfBlockedError(hostname, address, problem);
  }
  return addresses;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `dns.lookup`-compatible function for `new Agent({ connect: { lookup } })`: the address
 * the socket connects to is the one checked here, so DNS rebinding between the submit check
 * and delivery gains nothing.
 */
export function createGuardedLookup(resolver: Resolver = systemResolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolvePublicAddresses(hostname, resolver).then(
      (addresses) => {
        const wanted = options.family === 6 || options.family === 4 ? options.family : 0;
        const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
        if (usable.length === 0) {
          callback(
            Object.assign(new Error(`no IPv${wanted} address for ${hostname}`), {
              code: 'ENOTFOUND',
            }),
            '',
          );
        } else if (options.all) {
          callback(null, usable);
        } else {
          callback(null, usable[0]!.address, usable[0]!.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
