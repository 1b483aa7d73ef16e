// The WHIP answer plan on a real Chromium sendonly offer (fake camera and microphone): H.264 packetization-mode 1
// and Opus received, PLI/FIR feedback only, track descriptions for the RTSP ingest's receivers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'bun:test';
import { planWhipAnswer } from '../../src/server/webrtc/whip-http.ts';
import { parseWebRtcOffer } from '../../src/webrtc/sdp-offer.ts';
import { CHROME_OFFER } from '../webrtc/chrome-offer.ts';

const SENDONLY = readFileSync(join(import.meta.dir, '..', 'fixtures', 'webrtc', 'chromium-sendonly-offer.sdp'), 'utf8');

describe('planWhipAnswer', () => {
  test('a sendonly Chromium offer: Opus and H.264 received', () => {
    const plan = planWhipAnswer(parseWebRtcOffer(SENDONLY));
    expect(plan.tracks.map((t) => [t.kind, t.params.codec, t.clockRate])).toEqual([
      ['audio', 'opus', 48_000],
      ['video', 'h264', 90_000],
    ]);
    const video = plan.media.find((m) => m.media.kind === 'video');
    expect(video?.accept && video.direction).toBe('recvonly');
    expect(video?.accept && video.codec.fmtp.get('packetization-mode')).toBe('1');
    expect(video?.accept && video.feedback.every((f) => f === 'nack pli' || f === 'ccm fir')).toBe(true);
  });

  test('a recvonly (WHEP-shaped) offer sends nothing: every section rejected, no tracks', () => {
    const plan = planWhipAnswer(parseWebRtcOffer(CHROME_OFFER));
    expect(plan.tracks).toEqual([]);
    expect(plan.media.every((m) => !m.accept)).toBe(true);
  });
});
