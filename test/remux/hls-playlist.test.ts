import { describe, expect, test } from 'bun:test';
import { M3U8Parser, PlaylistLevelType, type LevelDetails } from 'hls.js';
import {
  renderMediaPlaylist,
  type LowLatencyModel,
  type MediaPlaylistModel,
  type PlaylistPart,
  type PlaylistSegment,
} from '../../src/remux/hls-playlist.ts';
import { formatDecimal } from '../../src/remux/hls-playlist-format.ts';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0); // 2024-05-01T12:00:00.000Z

function seg(msn: number, durationSec: number, extra: Partial<PlaylistSegment> = {}): PlaylistSegment {
  return { msn, uri: `seg${msn}.m4s`, durationSec, discontinuity: false, ...extra };
}

function parts(msn: number, durations: readonly number[]): PlaylistPart[] {
  return durations.map((durationSec, i) => ({ uri: `part${msn}.${i}.m4s`, durationSec, independent: i === 0 }));
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('classic TS playlist', () => {
  const model: MediaPlaylistModel = {
    targetDurationSec: 5,
    discontinuitySequence: 2,
    ended: true,
    independentSegments: true,
    segments: [
      { msn: 10, uri: 'seg10.ts', durationSec: 4.0004, discontinuity: false, programDateTimeMs: T0 },
      { msn: 11, uri: 'seg11.ts', durationSec: 3.96, discontinuity: false },
      { msn: 12, uri: 'seg12.ts', durationSec: 5.4, discontinuity: true, programDateTimeMs: T0 + 30_500 },
      { msn: 13, uri: 'seg13.ts', durationSec: 2.5, discontinuity: false },
    ],
  };

  test('sliding window with a discontinuity, program dates and ENDLIST', () => {
    expect(renderMediaPlaylist(model)).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:5',
        '#EXT-X-MEDIA-SEQUENCE:10',
        '#EXT-X-DISCONTINUITY-SEQUENCE:2',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z',
        '#EXTINF:4.0,',
        'seg10.ts',
        '#EXTINF:3.96,',
        'seg11.ts',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:30.500Z',
        '#EXTINF:5.4,',
        'seg12.ts',
        '#EXTINF:2.5,',
        'seg13.ts',
        '#EXT-X-ENDLIST',
      ),
    );
  });

  test('a live window has no ENDLIST; an explicit version is kept; skip is ignored without CAN-SKIP-UNTIL', () => {
    const live = { ...model, ended: false, version: 4, independentSegments: false };
    const text = renderMediaPlaylist(live, { skip: true });
    expect(text.startsWith('#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:5\n')).toBe(true);
    expect(text).not.toContain('#EXT-X-ENDLIST');
    expect(text).not.toContain('#EXT-X-SKIP');
    expect(text.endsWith('#EXTINF:2.5,\nseg13.ts\n')).toBe(true);
  });
});

const lowLatency: LowLatencyModel = {
  partTargetSec: 0.5,
  partHoldBackSec: 1.5,
  holdBackSec: 6,
  canBlockReload: true,
  canSkipUntilSec: 12,
  pendingParts: parts(108, [0.5, 0.5]),
  preloadHint: { uri: 'part108.2.m4s' },
};

/** Eight complete segments 100..107 (the last two with parts), then segment 108 being written. */
const llModel: MediaPlaylistModel = {
  targetDurationSec: 2,
  discontinuitySequence: 7,
  ended: false,
  initUri: 'init.mp4',
  lowLatency,
  segments: [
    seg(100, 2, { programDateTimeMs: T0 }),
    seg(101, 2, { discontinuity: true, programDateTimeMs: T0 + 60_000 }),
    seg(102, 2),
    seg(103, 2),
    seg(104, 2),
    seg(105, 2),
    seg(106, 2, { parts: parts(106, [0.5, 0.5, 0.5, 0.5]) }),
    seg(107, 1.96667, { parts: parts(107, [0.5, 0.5, 0.5, 0.46667]) }),
  ],
};

/** The end of the LL-HLS window from segment 104 on: parts before their EXTINF, then pending parts and the hint. */
const LL_TAIL = lines(
  '#EXTINF:2.0,',
  'seg104.m4s',
  '#EXTINF:2.0,',
  'seg105.m4s',
  '#EXT-X-PART:DURATION=0.5,URI="part106.0.m4s",INDEPENDENT=YES',
  '#EXT-X-PART:DURATION=0.5,URI="part106.1.m4s"',
  '#EXT-X-PART:DURATION=0.5,URI="part106.2.m4s"',
  '#EXT-X-PART:DURATION=0.5,URI="part106.3.m4s"',
  '#EXTINF:2.0,',
  'seg106.m4s',
  '#EXT-X-PART:DURATION=0.5,URI="part107.0.m4s",INDEPENDENT=YES',
  '#EXT-X-PART:DURATION=0.5,URI="part107.1.m4s"',
  '#EXT-X-PART:DURATION=0.5,URI="part107.2.m4s"',
  '#EXT-X-PART:DURATION=0.46667,URI="part107.3.m4s"',
  '#EXTINF:1.967,',
  'seg107.m4s',
  '#EXT-X-PART:DURATION=0.5,URI="part108.0.m4s",INDEPENDENT=YES',
  '#EXT-X-PART:DURATION=0.5,URI="part108.1.m4s"',
  '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part108.2.m4s"',
);

describe('LL-HLS fMP4 playlist', () => {
  test('parts before their EXTINF, pending parts and the preload hint at the end', () => {
    expect(renderMediaPlaylist({ ...llModel, segments: llModel.segments.slice(4) })).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-SERVER-CONTROL:CAN-SKIP-UNTIL=12.0,HOLD-BACK=6.0,PART-HOLD-BACK=1.5,CAN-BLOCK-RELOAD=YES',
        '#EXT-X-PART-INF:PART-TARGET=0.5',
        '#EXT-X-MEDIA-SEQUENCE:104',
        '#EXT-X-DISCONTINUITY-SEQUENCE:7',
        '#EXT-X-MAP:URI="init.mp4"',
      ) + LL_TAIL,
    );
  });

  // The expected playlists in these tests are alike in shape; each is the text its own model must render to.
  test('minimal SERVER-CONTROL; a new init segment mid-window and on the pending segment', () => {
    const model: MediaPlaylistModel = {
      targetDurationSec: 2,
      discontinuitySequence: 0,
      ended: false,
      initUri: 'init-a.mp4',
      lowLatency: {
        partTargetSec: 0.33334,
        partHoldBackSec: 1.00002,
        canBlockReload: true,
        pendingParts: [{ uri: 'p3.0.m4s', durationSec: 0.33334, independent: true }],
        pendingDiscontinuity: true,
        pendingInitUri: 'init-c.mp4',
      },
      segments: [seg(1, 2), seg(2, 2, { discontinuity: true, initUri: 'init-b.mp4' })],
    };
    expect(renderMediaPlaylist(model)).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-SERVER-CONTROL:PART-HOLD-BACK=1.00002,CAN-BLOCK-RELOAD=YES',
        '#EXT-X-PART-INF:PART-TARGET=0.33334',
        '#EXT-X-MEDIA-SEQUENCE:1',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-MAP:URI="init-a.mp4"',
        '#EXTINF:2.0,',
        'seg1.m4s',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init-b.mp4"',
        '#EXTINF:2.0,',
        'seg2.m4s',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init-c.mp4"',
        '#EXT-X-PART:DURATION=0.33334,URI="p3.0.m4s",INDEPENDENT=YES',
      ),
    );
  });
});

describe('Playlist Delta Update (EXT-X-SKIP)', () => {
  test('skips segments ending at least CAN-SKIP-UNTIL before the end; the first kept one gets a date', () => {
    // Tail after 100, 101, 102: 13.967, 11.967 and 9.967 s: only 100 is >= 12 s from the end.
    expect(renderMediaPlaylist(llModel, { skip: true })).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:9',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-SERVER-CONTROL:CAN-SKIP-UNTIL=12.0,HOLD-BACK=6.0,PART-HOLD-BACK=1.5,CAN-BLOCK-RELOAD=YES',
        '#EXT-X-PART-INF:PART-TARGET=0.5',
        '#EXT-X-MEDIA-SEQUENCE:100',
        '#EXT-X-DISCONTINUITY-SEQUENCE:7',
        '#EXT-X-SKIP:SKIPPED-SEGMENTS=1',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:01:00.000Z',
        '#EXTINF:2.0,',
        'seg101.m4s',
        '#EXTINF:2.0,',
        'seg102.m4s',
        '#EXTINF:2.0,',
        'seg103.m4s',
      ) + LL_TAIL,
    );
  });

  test("drops the skipped segments' discontinuities and derives the first kept segment's date", () => {
    const longer: MediaPlaylistModel = {
      ...llModel,
      segments: [seg(98, 2, { programDateTimeMs: T0 - 64_000 }), seg(99, 2, { discontinuity: true }), ...llModel.segments],
    };
    // 98..100 end >= 12 s before the end; 99 starts a discontinuity without a date, 100 has its own.
    const text = renderMediaPlaylist(longer, { skip: true });
    expect(text).toContain(
      lines(
        '#EXT-X-MEDIA-SEQUENCE:98',
        '#EXT-X-DISCONTINUITY-SEQUENCE:7',
        '#EXT-X-SKIP:SKIPPED-SEGMENTS=3',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:01:00.000Z',
        '#EXTINF:2.0,',
        'seg101.m4s',
      ),
    );
    expect(text.match(/#EXT-X-DISCONTINUITY\n/g)?.length).toBe(1);

    // Without its own date 101, which starts a discontinuity, has none a client could derive:
    // one segment fewer is skipped so that the first kept one (100) leads with its own date.
    const undated = longer.segments.map((s) => (s.msn === 101 ? { ...s, programDateTimeMs: undefined } : s));
    const fewer = renderMediaPlaylist({ ...longer, segments: undated }, { skip: true });
    expect(fewer).toContain(
      lines(
        '#EXT-X-SKIP:SKIPPED-SEGMENTS=2',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z',
        '#EXTINF:2.0,',
        'seg100.m4s',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXTINF:2.0,',
        'seg101.m4s',
        '#EXTINF:2.0,',
      ),
    );
  });

  test("the first kept segment's date is derived from an earlier one when it has none", () => {
    const segments = [seg(200, 2, { programDateTimeMs: T0 })];
    for (let msn = 201; msn <= 208; msn++) segments.push(seg(msn, 2));
    const text = renderMediaPlaylist({ ...llModel, segments }, { skip: true });
    // 200..202 end at least 12 s before the end of 208; 203 starts 3 x 2 s after 200.
    expect(text).toContain(
      lines(
        '#EXT-X-SKIP:SKIPPED-SEGMENTS=3',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:06.000Z',
        '#EXTINF:2.0,',
        'seg203.m4s',
        '#EXTINF:2.0,',
        'seg204.m4s',
      ),
    );
    expect(text.match(/PROGRAM-DATE-TIME/g)?.length).toBe(1);
  });

  test('a window with nothing old enough to skip renders in full', () => {
    const short = { ...llModel, segments: llModel.segments.slice(2) };
    expect(renderMediaPlaylist(short, { skip: true })).toBe(renderMediaPlaylist(short));
  });

  test('a skipped init-segment change still applies to the kept segments', () => {
    const changed = llModel.segments.map((s) => (s.msn === 100 ? { ...s, initUri: 'init-2.mp4' } : s));
    const text = renderMediaPlaylist({ ...llModel, initUri: 'init-1.mp4', segments: changed }, { skip: true });
    expect(text).toContain('#EXT-X-SKIP:SKIPPED-SEGMENTS=1\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-2.mp4"\n');
    expect(text).not.toContain('init-1.mp4');
  });
});

describe('read by hls.js', () => {
  const parse = (text: string): LevelDetails =>
    M3U8Parser.parseLevelPlaylist(text, 'http://host/live/index.m3u8', 0, PlaylistLevelType.MAIN, 0, null);
  const summary = (d: LevelDetails) =>
    d.fragments.filter((f) => f !== null).map((f) => [f.sn, f.cc, f.duration, f.programDateTime, f.initSegment?.relurl]);

  test('the delta update describes the kept segments exactly as the full playlist does', () => {
    const full = parse(renderMediaPlaylist(llModel));
    const delta = parse(renderMediaPlaylist(llModel, { skip: true }));
    expect([full.playlistParsingError, delta.playlistParsingError]).toEqual([null, null]);
    expect([delta.skippedSegments, delta.version, delta.canSkipUntil, delta.partHoldBack, delta.partTarget]).toEqual([1, 9, 12, 1.5, 0.5]);
    expect(summary(delta)).toEqual(summary(full).slice(1));
    expect(summary(full)[1]).toEqual([101, 8, 2, T0 + 60_000, 'init.mp4']);
    expect([delta.fragmentHint?.sn, delta.fragmentHint?.duration, delta.preloadHint?.URI]).toEqual([108, 1, 'part108.2.m4s']);
  });
});

describe('validation', () => {
  const base: MediaPlaylistModel = { targetDurationSec: 4, discontinuitySequence: 0, ended: false, segments: [seg(0, 4), seg(1, 4)] };
  const cases: [string, MediaPlaylistModel, RegExp][] = [
    ['no segments', { ...base, segments: [] }, /at least one complete segment/],
    ['non-consecutive msn', { ...base, segments: [seg(5, 4), seg(7, 4)] }, /consecutive/],
    ['negative msn', { ...base, segments: [seg(-1, 4)] }, /msn must be an integer >= 0/],
    ['negative duration', { ...base, segments: [seg(0, -1)] }, /duration must be a positive number/],
    ['NaN duration', { ...base, segments: [seg(0, Number.NaN)] }, /duration must be a positive number/],
    ['segment over target', { ...base, segments: [seg(0, 4.5)] }, /rounds above TARGETDURATION 4/],
    ['fractional target', { ...base, targetDurationSec: 2.5 }, /targetDurationSec must be an integer/],
    ['negative discontinuity sequence', { ...base, discontinuitySequence: -1 }, /discontinuitySequence/],
    ['newline in URI', { ...base, segments: [{ ...seg(0, 4), uri: 'a\n#EXT-X-ENDLIST' }] }, /control characters/],
    ['URI that reads as a tag', { ...base, segments: [{ ...seg(0, 4), uri: '#seg.ts' }] }, /would read as a tag/],
    ['quote in a quoted URI', { ...base, initUri: 'in"it.mp4' }, /double quote/],
    ['bad date', { ...base, segments: [seg(0, 4, { programDateTimeMs: Number.POSITIVE_INFINITY })] }, /epoch time/],
    ['parts without lowLatency', { ...base, segments: [seg(0, 4, { parts: parts(0, [1]) })] }, /needs lowLatency/],
    ['version too low for EXT-X-MAP', { ...base, initUri: 'init.mp4', version: 3 }, /needs 6/],
    ['map on some segments only', { ...base, segments: [seg(0, 4), seg(1, 4, { initUri: 'i.mp4' })] }, /every segment or none/],
  ];
  for (const [name, model, message] of cases) {
    test(name, () => expect(() => renderMediaPlaylist(model)).toThrow(message));
  }

  const ll = (over: Partial<LowLatencyModel>): MediaPlaylistModel => ({
    ...base,
    lowLatency: { partTargetSec: 1, partHoldBackSec: 3, canBlockReload: true, pendingParts: [], ...over },
  });
  const llCases: [string, MediaPlaylistModel, RegExp][] = [
    ['part over PART-TARGET', ll({ pendingParts: parts(2, [1.00001]) }), /over PART-TARGET 1.0s/],
    ['PART-HOLD-BACK under 2 parts', ll({ partHoldBackSec: 1.9 }), /at least 2 x PART-TARGET/],
    ['HOLD-BACK under 3 targets', ll({ holdBackSec: 11 }), /at least 3 x TARGETDURATION/],
    ['CAN-SKIP-UNTIL under 6 targets', ll({ canSkipUntilSec: 23.9 }), /at least 6 x TARGETDURATION/],
    ['zero PART-TARGET', ll({ partTargetSec: 0 }), /partTargetSec must be a positive/],
    ['ended with pending parts', { ...ll({ pendingParts: parts(2, [1]) }), ended: true }, /ended playlist/],
    ['ended with a preload hint', { ...ll({ preloadHint: { uri: 'p.m4s' } }), ended: true }, /ended playlist/],
    ['pending map without segment maps', ll({ pendingInitUri: 'i.mp4' }), /every segment or none/],
  ];
  for (const [name, model, message] of llCases) {
    test(name, () => expect(() => renderMediaPlaylist(model)).toThrow(message));
  }

  test('errors are plain Errors', () => {
    expect(() => renderMediaPlaylist({ ...base, segments: [] })).toThrow(Error);
  });
});

describe('formatDecimal', () => {
  test('rounds to the given places and trims, keeping one fractional digit', () => {
    expect(formatDecimal(4, 3)).toBe('4.0');
    expect(formatDecimal(2.0021, 3)).toBe('2.002');
    expect(formatDecimal(1.99996, 3)).toBe('2.0');
    expect(formatDecimal(0.333336, 5)).toBe('0.33334');
    expect(formatDecimal(0.00001, 5)).toBe('0.00001');
    expect(formatDecimal(12345.6, 3)).toBe('12345.6');
  });
});
