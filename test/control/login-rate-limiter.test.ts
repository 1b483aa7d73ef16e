import { describe, expect, test } from 'bun:test';
import { addressBucket, LoginRateLimiter } from '../../src/control/services/login-rate-limiter.ts';

const policy = { freeFailures: 3, baseDelayMs: 10_000, maxDelayMs: 60_000, forgetAfterMs: 600_000 };

function limiter() {
  const clock = { now: 1_000_000 };
  return { clock, l: new LoginRateLimiter(() => clock.now, policy) };
}

describe('LoginRateLimiter', () => {
  test('free failures, then a wait that doubles per failure up to the maximum', () => {
    const { l } = limiter();
    for (let i = 0; i < 2; i++) l.fail('k');
    expect(l.retryAfterSec('k')).toBe(0);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      l.fail('k');
      waits.push(l.retryAfterSec('k'));
    }
    expect(waits).toEqual([10, 20, 40, 60, 60, 60]);
    expect(l.retryAfterSec('other')).toBe(0);
  });

  test('the wait runs from the last failure; reset and a long quiet forget the key', () => {
    const { l, clock } = limiter();
    for (let i = 0; i < 3; i++) l.fail('k');
    clock.now += 9_500;
    expect(l.retryAfterSec('k')).toBe(1);
    clock.now += 500;
    expect(l.retryAfterSec('k')).toBe(0);
    expect(l.count('k')).toBe(3);
    l.reset('k');
    expect(l.count('k')).toBe(0);
    for (let i = 0; i < 3; i++) l.fail('k');
    clock.now += 600_000;
    expect(l.count('k')).toBe(0);
    expect(l.retryAfterSec('k')).toBe(0);
  });

  test('memory is bounded: at most 10 000 keys, the least recent forgotten first', () => {
    const { l } = limiter();
    for (let i = 0; i < 10_050; i++) l.fail(`k${i}`);
    expect(l.count('k0')).toBe(0);
    expect(l.count('k10049')).toBe(1);
  });
});

describe('addressBucket', () => {
  // A run of expect(f(input)).toBe(output) alike in shape to address-slots', redact-url's and relay-status-api's: each is the case table of its own function.
  test('IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 as its /64', () => {
    expect(addressBucket('10.1.2.3')).toBe('10.1.2.3');
    expect(addressBucket('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressBucket('2001:db8:1:2::5')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
    expect(addressBucket('fe80::1')).toBe('fe80:0:0:0::/64');
    expect(addressBucket('not-an-address')).toBe('not-an-address');
  });
});
