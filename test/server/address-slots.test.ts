// The per-address counter behind every connection cap: one address cannot take the slots of
// the others, releases are idempotent, the map holds only what is held, and the ways one host
// can spell itself (IPv4-mapped, other addresses of its IPv6 /64) count as that host.
import { expect, test } from 'bun:test';
import { AddressSlots, addressKey } from '../../src/server/address-slots.ts';

test('one address stops at its cap while another still gets slots', () => {
  const slots = new AddressSlots(() => ({ total: 10, perAddress: 3 }));
  const mine = [1, 2, 3].map(() => slots.acquire('127.0.0.2'));
  expect(mine.every((g) => g.ok)).toBe(true);
  const fourth = slots.acquire('127.0.0.2');
  expect(fourth).toEqual({ ok: false, limit: 'per-address', key: '127.0.0.2', held: 3, max: 3 });
  expect(slots.acquire('127.0.0.1').ok).toBe(true);
  expect(slots.total).toBe(4);
  expect(slots.heldBy('127.0.0.2')).toBe(3);
});

test('the total cap holds over every address', () => {
  const slots = new AddressSlots(() => ({ total: 2, perAddress: 5 }));
  expect(slots.acquire('10.0.0.1').ok).toBe(true);
  expect(slots.acquire('10.0.0.2').ok).toBe(true);
  const refused = slots.acquire('10.0.0.3');
  expect(refused.ok).toBe(false);
  if (!refused.ok) expect(refused.limit).toBe('total');
});

test('an address over its own cap is told so even when the total is reached too', () => {
  const slots = new AddressSlots(() => ({ total: 2, perAddress: 1 }));
  expect(slots.acquire('10.0.0.1').ok).toBe(true);
  expect(slots.acquire('10.0.0.2').ok).toBe(true);
  const again = slots.acquire('10.0.0.1');
  expect(!again.ok && again.limit).toBe('per-address');
});

test('a release frees one slot once, however often it is called; empty addresses are forgotten', () => {
  const slots = new AddressSlots(() => ({ total: 100, perAddress: 1 }));
  const first = slots.acquire('192.0.2.7');
  if (!first.ok) throw new Error('refused');
  const other = slots.acquire('192.0.2.8');
  first.release();
  first.release();
  expect(slots.total).toBe(1);
  expect(slots.heldBy('192.0.2.7')).toBe(0);
  expect(slots.addresses).toBe(1);
  expect(slots.acquire('192.0.2.7').ok).toBe(true);
  // the double release did not hand out a second slot to the address
  expect(slots.acquire('192.0.2.7').ok).toBe(false);
  if (other.ok) other.release();
});

test('limits are read at each acquire; 0 per address means no per-address cap', () => {
  let perAddress = 1;
  const slots = new AddressSlots(() => ({ total: Infinity, perAddress }));
  expect(slots.acquire('198.51.100.1').ok).toBe(true);
  expect(slots.acquire('198.51.100.1').ok).toBe(false);
  perAddress = 0;
  for (let i = 0; i < 50; i++) expect(slots.acquire('198.51.100.1').ok).toBe(true);
  perAddress = 2;
  expect(slots.acquire('198.51.100.1').ok).toBe(false);
});

// A run of expect(addressKey(input)).toBe(output), alike in shape to the URL tests' runs (relay-status-api, redact-url): each is its own function's case table.
test('address keys: IPv4-mapped is IPv4, IPv6 counts by its /64', () => {
  expect(addressKey('127.0.0.1')).toBe('127.0.0.1');
  expect(addressKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
  expect(addressKey('0:0:0:0:0:ffff:10.1.2.3')).toBe('10.1.2.3');
  expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
  expect(addressKey('2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
  expect(addressKey('[2001:db8:1:2::99]')).toBe('2001:db8:1:2::/64');
  expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  expect(addressKey('::1')).toBe('0:0:0:0::/64');
  expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
  // not an address: counted as given rather than merged with anything
  expect(addressKey('')).toBe('');
  expect(addressKey('1::2::3')).toBe('1::2::3');
});

test('a whole IPv6 /64 shares one per-address cap', () => {
  const slots = new AddressSlots(() => ({ total: Infinity, perAddress: 2 }));
  expect(slots.acquire('2001:db8:0:1::a').ok).toBe(true);
  expect(slots.acquire('2001:db8:0:1::b').ok).toBe(true);
  expect(slots.acquire('2001:db8:0:1:ffff::c').ok).toBe(false);
  expect(slots.acquire('2001:db8:0:2::a').ok).toBe(true);
});
