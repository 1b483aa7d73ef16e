// CRC-32/MPEG-2 of PSI sections (ISO/IEC 13818-1 Annex A: polynomial 0x04C11DB7, initial 0xFFFFFFFF, no reflection, no final xor).
const POLYNOMIAL = 0x04c11db7;
const INITIAL = 0xffffffff;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ POLYNOMIAL : crc << 1;
    table[i] = crc >>> 0;
  }
  return table;
})();

export function crc32Mpeg2(bytes: Uint8Array): number {
  let crc = INITIAL;
  for (const byte of bytes) crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc >>> 0;
}
