// Input rules shared by the services: names, URLs, ports, hosts. Each throws DomainError 'invalid'.
import { checkLinkUrl, LinkUrlError } from '../../shared/ts-link-url.ts';
import { invalid } from './errors.ts';
import { keepStoredPassword } from './url-password.ts';

export const APP_NAME_PATTERN = /^[A-Za-z0-9_-]{2,40}$/;
export const STREAM_NAME_PATTERN = /^[A-Za-z0-9_.~-]{1,128}$/;
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{2,40}$/;
export const MAX_URL_LENGTH = 2048;

export function checkAppName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || !APP_NAME_PATTERN.test(name)) {
    throw invalid(field, 'app name must be 2 to 40 characters of A-Z, a-z, 0-9, _ and -');
  }
  return name;
}

export function checkStreamName(stream: unknown, field = 'stream'): string {
  if (typeof stream !== 'string' || !STREAM_NAME_PATTERN.test(stream)) {
    throw invalid(field, 'stream name must be 1 to 128 characters of A-Z, a-z, 0-9, _, ., ~ and -');
  }
  return stream;
}

/** a URL whose scheme is one of `schemes` (without ':'), with a host */
export function checkUrl(url: unknown, schemes: readonly string[], field = 'url'): string {
  const expected = schemes.map((s) => `${s}://`).join(', ');
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) {
    throw invalid(field, `url must be a ${expected} URL of at most ${MAX_URL_LENGTH} characters`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(field, `url is not a valid URL (expected ${expected})`);
  }
  if (!schemes.includes(parsed.protocol.replace(/:$/, '')) || parsed.hostname === '') {
    throw invalid(field, `url must start with ${expected} and name a host`);
  }
  return url;
}

/**
 * A pull or forward URL: checkUrl, and for srt:// and udp:// their own rules (port, known keys, passphrase length…).
 * `linkRules` false checks only the scheme and host (an edit that sends `***` back for a stored passphrase).
 */
export function checkRelayUrl(url: unknown, schemes: readonly string[], linkRules = true, field = 'url'): string {
  const checked = checkUrl(url, schemes, field);
  if (!linkRules) return checked;
  try {
    checkLinkUrl(checked);
  } catch (err) {
    if (err instanceof LinkUrlError) throw invalid(field, err.message);
    throw err;
  }
  return checked;
}

/** a relay URL sent in a patch: `***` for the password or passphrase keeps the stored one (url-password.ts), then the link rules */
export function checkRelayUrlPatch(url: unknown, storedUrl: string, schemes: readonly string[]): string {
  return checkRelayUrl(keepStoredPassword(checkRelayUrl(url, schemes, false), storedUrl), schemes);
}

export function checkPort(port: unknown, field: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(field, 'port must be an integer from 1 to 65535');
  }
  return port;
}

const HOST_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6_PATTERN = /^[0-9A-Fa-f:.]+$/;

/** an IPv4 address, a host name, or an IPv6 address (with or without brackets) */
export function checkHost(host: unknown, field: string): string {
  if (typeof host !== 'string' || host.length === 0 || host.length > 253) {
    throw invalid(field, 'host must be an IP address or host name');
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const ok = HOST_PATTERN.test(bare) || (bare.includes(':') && IPV6_PATTERN.test(bare));
  if (!ok) throw invalid(field, 'host must be an IP address or host name');
  return host;
}

export function checkInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `${field} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function checkBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw invalid(field, `${field} must be true or false`);
  return value;
}

export function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(field, `${field} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function checkLabel(value: unknown, field: string, maxLength = 100): string {
  if (typeof value !== 'string' || value.length > maxLength || /[\u0000-\u001f\u007f]/.test(value)) {
    throw invalid(field, `${field} must be text of at most ${maxLength} characters without control characters`);
  }
  return value;
}
