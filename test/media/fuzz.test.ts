import { expect, test } from 'bun:test';
import { parseAudioSpecificConfig } from '../../src/media/aac.ts';
import { removeEmulationPrevention } from '../../src/media/bit-reader.ts';
import { parseAvcDecoderConfig, parseH264Sps } from '../../src/media/h264.ts';
import { parseHevcDecoderConfig, parseHevcSps } from '../../src/media/h265.ts';
import { ProtocolError } from '../../src/shared/protocol-error.ts';
import { hex } from '../flv/hex.ts';
import { prng } from '../seeded-random.ts';


const hvcC = hex(
  '01016000000090000000000078f000fcfdf8f800000f03200001001840010c01ffff016000000300900000030000030078959809210001002b420101016000000300900000030000030078a00280802d165959a4932bc05a02000003000200000300641022000100074401c172b46240',
);

const seeds: [string, (b: Uint8Array) => unknown, Uint8Array][] = [
  ['avcC', parseAvcDecoderConfig, hex('01640028ffe1001967640028acd940780227e5c04400000fa40003a9803c60c65801000668ebe3cb22c0')],
  ['H.264 SPS', parseH264Sps, hex('67640028acd940780227e5c04400000fa40003a9803c60c658')],
  ['hvcC', parseHevcDecoderConfig, hvcC],
  ['H.265 SPS', parseHevcSps, parseHevcDecoderConfig(hvcC).sps[0]!],
  ['ASC', parseAudioSpecificConfig, hex('11 80 04 c4 05 00 20 00')],
];

test('media parsers: mutated and random input return or throw ProtocolError', () => {
  const rand = prng(0xc0dec);
  for (const [name, parse, seed] of seeds) {
    for (let i = 0; i < 1500; i++) {
      let input: Uint8Array;
      if (i % 3 === 2) {
        input = new Uint8Array(Math.floor(rand() * 48)).map(() => Math.floor(rand() * 256));
      } else {
        input = seed.slice(0, Math.max(1, Math.floor(rand() * (seed.length + 1))));
        for (let e = 0; e < 1 + Math.floor(rand() * 3); e++) {
          input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256);
        }
      }
      try {
        parse(input);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw new Error(`${name}: ${String(err)} for ${Buffer.from(input).toString('hex')}`);
      }
    }
  }
  expect(removeEmulationPrevention(hex('00 00 03')).length).toBe(2);
});
