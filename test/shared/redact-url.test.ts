import { describe, expect, test } from 'bun:test';
import { redactSecrets, redactUrlsIn } from '../../src/shared/redact-url.ts';

describe('redactSecrets', () => {
  // The tests below are runs of expect(redactSecrets(input)).toBe(output), alike in shape; kept apart by what each part of a URL hides.
  test('the stream key of an RTMP target (its last path segment)', () => {
    expect(redactSecrets('rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop')).toBe('rtmp://a.rtmp.youtube.com/live2/***');
    expect(redactSecrets('rtmps://live-api-s.facebook.com:443/rtmp/FB-123-0-Ab')).toBe('rtmps://live-api-s.facebook.com:443/rtmp/***');
    expect(redactSecrets('RTMP://host/app/inst/key')).toBe('RTMP://host/app/inst/***');
    expect(redactSecrets('rtmp://host/app/key/')).toBe('rtmp://host/app/***/');
  });

  test('an RTMP URL with only an app has no key to hide; template placeholders are not secrets', () => {
    expect(redactSecrets('rtmp://host/app')).toBe('rtmp://host/app');
    expect(redactSecrets('rtmp://host/')).toBe('rtmp://host/');
    expect(redactSecrets('rtmp://origin/{app}/{stream}')).toBe('rtmp://origin/{app}/{stream}');
  });

  test('userinfo, whatever the scheme', () => {
    expect(redactSecrets('rtmp://user:pa%40ss@host:1935/live/key')).toBe('rtmp://***@host:1935/live/***');
    expect(redactSecrets('https://token@hooks.example.com/on_publish')).toBe('https://***@hooks.example.com/on_publish');
    expect(redactSecrets('http://a:b@c@host/x')).toBe('http://***@host/x');
  });

  test('query values (names kept), bare query words and fragments', () => {
    expect(redactSecrets('https://hooks.example.com/srs?token=s3cret&x=1')).toBe('https://hooks.example.com/srs?token=***&x=***');
    expect(redactSecrets('https://h.example/p?SECRETWORD')).toBe('https://h.example/p?***');
    expect(redactSecrets('https://h.example/p?a=&b=2#frag')).toBe('https://h.example/p?a=***&b=***#***');
    expect(redactSecrets('rtmp://host/live/stream?key=abc')).toBe('rtmp://host/live/***?key=***');
    expect(redactSecrets('https://h.example/p?')).toBe('https://h.example/p?');
  });

  test('an http(s) path is kept: only RTMP targets carry keys in the path', () => {
    expect(redactSecrets('https://origin.example.com/live/cam1.flv')).toBe('https://origin.example.com/live/cam1.flv');
    expect(redactSecrets('http://127.0.0.1:8080/hook')).toBe('http://127.0.0.1:8080/hook');
  });

  test('text that is not a URL is hidden whole', () => {
    expect(redactSecrets('not a url with SECRET')).toBe('***');
    expect(redactSecrets('')).toBe('***');
  });

  test('the secret never survives, whatever part of the URL holds it', () => {
    const secret = 'S3CR3T';
    for (const url of [
      `rtmp://h/a/${secret}`,
      `rtmp://u:${secret}@h/a`,
      `rtmp://${secret}@h/a`,
      `https://h/p?k=${secret}`,
      `https://h/p?${secret}`,
      `https://h/p#${secret}`,
      `rtmps://h:1/a/b/${secret}?z=${secret}`,
    ]) {
      expect(redactSecrets(url)).not.toContain(secret);
    }
  });

  test('URLs quoted in free text (a relay error) are redacted where they stand', () => {
    expect(redactUrlsIn("RTMP URL needs /app/stream: rtmp://u:pw@h/live/KEY?t=1, then 'https://x/y?token=abc' failed")).toBe(
      "RTMP URL needs /app/stream: rtmp://***@h/live/***?t=***, then 'https://x/y?token=***' failed",
    );
    expect(redactUrlsIn('connection refused')).toBe('connection refused');
  });
});
