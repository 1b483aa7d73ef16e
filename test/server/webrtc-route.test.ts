// WHEP and WHIP routing and the admission query a bearer token makes.
import { describe, expect, test } from 'bun:test';
import { admissionQuery, parseWhepRoute } from '../../src/server/webrtc/webrtc-route.ts';

describe('WHEP routes', () => {
  test('endpoint and session resource paths; everything else is not WHEP', () => {
    expect(parseWhepRoute('/live/cam/whep')).toEqual({ kind: 'endpoint', protocol: 'whep', app: 'live', stream: 'cam' });
    expect(parseWhepRoute('/live/cam/whip')).toEqual({ kind: 'endpoint', protocol: 'whip', app: 'live', stream: 'cam' });
    const id = 'ab'.repeat(16);
    expect(parseWhepRoute(`/live/cam/whep/${id}`)).toEqual({ kind: 'session', protocol: 'whep', app: 'live', stream: 'cam', id });
    expect(parseWhepRoute('/live/cam/whep/not-an-id')).toBeNull();
    expect(parseWhepRoute('/live/cam/index.m3u8')).toBeNull();
    expect(parseWhepRoute('/live/cam.flv')).toBeNull();
    expect(parseWhepRoute('/live/%E0%A4%A/whep')).toBeNull();
    expect(parseWhepRoute('//cam/whep')).toBeNull();
  });
});

describe('admission query from a bearer token', () => {
  test('a signed URL query as the token is passed as the query; a bare token is a key', () => {
    expect(admissionQuery('', 'Bearer expires=1700000000&sign=abc')).toBe('expires=1700000000&sign=abc');
    expect(admissionQuery('', 'Bearer s3cret')).toBe('key=s3cret');
    expect(admissionQuery('', 'bearer a+b/c')).toBe('key=a%2Bb%2Fc');
    expect(admissionQuery('session=1', 'Bearer k')).toBe('session=1&key=k');
    expect(admissionQuery('expires=1&sign=2', null)).toBe('expires=1&sign=2');
    expect(admissionQuery('', 'Basic dXNlcjpwYXNz')).toBe('');
  });
});
