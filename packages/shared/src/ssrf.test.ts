import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  createGuardedLookup,
  type Resolver,
  resolvePublicAddresses,
  SsrfBlockedError,
  webhookUrlProblem,
} from './ssrf.ts';

/** A fake DNS: never the network. */
const zone: Record<string, string[]> = {
  'loopback.example.com': ['127.0.0.1'],
  'private10.example.com': ['10.1.2.3'],
  'private172.example.com': ['172.20.0.5'],
  'private192.example.com': ['192.168.1.10'],
  'metadata.example.com': ['169.254.169.254'],
  'metadata6.example.com': ['fd00:ec2::254'],
  'cgnat.example.com': ['100.64.12.34'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'v6loopback.example.com': ['::1'],
  'linklocal6.example.com': ['fe80::1'],
  'mixed.example.com': ['93.184.215.14', '10.0.0.1'],
  'zero.example.com': ['0.0.0.0'],
  'public.example.com': ['93.184.215.14'],
  'public6.example.com': ['2606:4700:4700::1111'],
};
const resolver: Resolver = async (hostname) => {
  const addresses = zone[hostname];
  if (!addresses) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

/** Public on the first answer (what a submit-time lookup would see), loopback afterwards. */
function rebindingResolver(): Resolver {
  let calls = 0;
  return async () => {
    calls += 1;
    return [{ address: calls === 1 ? '93.184.215.14' : '127.0.0.1', family: 4 }];
  };
}

const refusedLiterals = [
  'http://127.0.0.1/hook',
  'http://127.1/hook',
  'http://2130706433/hook', // decimal 127.0.0.1
  'http://0x7f000001/hook', // hex
  'http://0x7f.0.0.1/hook', // hex octet
  'http://0177.0.0.1/hook', // octal
  'http://017700000001/hook', // octal whole
  'http://[::1]/hook',
  'http://[::ffff:127.0.0.1]/hook', // IPv4-mapped IPv6
  'http://[::ffff:a9fe:a9fe]/hook', // mapped metadata, hex form
  'http://[::7f00:1]/hook', // IPv4-compatible (deprecated) loopback
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://10.0.0.1/hook',
  'http://172.16.0.1/hook',
  'http://192.168.0.1/hook',
  'http://100.64.0.1/hook', // CGNAT
  'http://0.0.0.0/hook',
  'http://[::]/hook',
  'http://224.0.0.1/hook', // multicast
  'http://255.255.255.255/hook',
  'http://[fe80::1]/hook',
  'http://localhost:8080/hook',
  'http://localhost./hook',
  'http://127.0.0.1./hook', // trailing dot
  'http://①②⑦.0.0.1/hook', // full-width digits, normalised by the URL parser
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://api.localhost/hook',
];

describe('webhookUrlProblem (submit time)', () => {
  it.each(refusedLiterals)('refuses %s', (url) => {
    expect(webhookUrlProblem(url, false)).toMatch(/private|loopback/);
  });

  it.each([
    ['ftp://example.com/hook', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['gopher://example.com/', /http or https/],
    ['https://user:pass@example.com/hook', /credentials/],
    ['https://user@example.com/hook', /credentials/],
    ['http://127.0.0.1:80@example.com/', /credentials/],
    ['not a url', /absolute/],
  ])('refuses %s', (url, message) => {
    expect(webhookUrlProblem(url, false)).toMatch(message);
    expect(webhookUrlProblem(url, true)).toMatch(message);
  });

  it.each([
    'https://example.com/hook',
    'http://hooks.example.org:8080/a?b=c',
    'https://93.184.215.14/hook',
    'https://[2606:4700:4700::1111]/hook',
  ])('allows %s', (url) => {
    expect(webhookUrlProblem(url, false)).toBeNull();
  });

  it('allows private addresses when WEBHOOK_ALLOW_PRIVATE_NETWORKS is set', () => {
    expect(webhookUrlProblem('http://127.0.0.1:4000/hook', true)).toBeNull();
    expect(webhookUrlProblem('http://localhost/hook', true)).toBeNull();
  });
});

describe('resolvePublicAddresses (connect time)', () => {
  const refusedNames = Object.keys(zone).filter((name) => !name.startsWith('public'));

  it.each(refusedNames)('refuses %s by what it resolves to', async (hostname) => {
    await expect(resolvePublicAddresses(hostname, resolver)).rejects.toBeInstanceOf(
      SsrfBlockedError,
    );
  });

  it.each(['127.0.0.1', '::1', '169.254.169.254', 'fd00:ec2::254', '[::ffff:7f00:1]'])(
    'refuses the literal %s without asking DNS',
    async (hostname) => {
      const asked: string[] = [];
      const spy: Resolver = async (name) => {
        asked.push(name);
        return [];
      };
      await expect(resolvePublicAddresses(hostname, spy)).rejects.toBeInstanceOf(SsrfBlockedError);
      expect(asked).toEqual([]);
    },
  );

  it.each(['public.example.com', 'public6.example.com'])('allows %s', async (hostname) => {
    expect((await resolvePublicAddresses(hostname, resolver)).length).toBe(1);
  });

  it('refuses a rebinding name on the lookup the socket connects with', async () => {
    const rebinding = rebindingResolver();
    // The first answer (e.g. a check made earlier) is public...
    expect(await resolvePublicAddresses('rebind.example.com', rebinding)).toEqual([
      { address: '93.184.215.14', family: 4 },
    ]);
    // ...the next, the one a connection uses, is loopback: refused.
    const lookup = createGuardedLookup(rebinding);
    const outcome = await new Promise<{ error: Error | null; address: unknown }>((resolve) =>
      lookup('rebind.example.com', { all: true }, (error, address) => resolve({ error, address })),
    );
    expect(outcome.error).toBeInstanceOf(SsrfBlockedError);
    expect(outcome.error?.message).toMatch(/loopback/);
  });

  it('hands allowed addresses to the socket in the form it asked for', async () => {
    const lookup = createGuardedLookup(resolver);
    const all = await new Promise<LookupAddress[]>((resolve, reject) =>
      lookup('public.example.com', { all: true }, (error, address) =>
        error ? reject(error) : resolve(address as LookupAddress[]),
      ),
    );
    expect(all).toEqual([{ address: '93.184.215.14', family: 4 }]);
    const one = await new Promise<[unknown, unknown]>((resolve, reject) =>
      lookup('public.example.com', {}, (error, address, family) =>
        error ? reject(error) : resolve([address, family]),
      ),
    );
    expect(one).toEqual(['93.184.215.14', 4]);
  });
});
