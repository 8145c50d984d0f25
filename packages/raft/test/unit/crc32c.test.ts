/**
 * crc32c takes eight bytes per step; it must give the CRC-32C every stored record and snapshot
 * already carries: the RFC 3720 (iSCSI) test vectors, and a bit-at-a-time reference at every
 * length and every alignment of the view.
 */
import { crc32c } from '../../src/storage/crc32c';

function reference(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  test('the RFC 3720 vectors and the usual check value', () => {
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(ascending)).toBe(0x46dd794e);
    expect(crc32c(ascending.reverse())).toBe(0x113fdb5c);
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  test('every length from 0 to 300 and every offset of the view agree with a bit-at-a-time CRC', () => {
    let seed = 12345;
    const backing = Uint8Array.from({ length: 320 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    for (let offset = 0; offset < 9; offset++) {
      for (let length = 0; length + offset <= 309; length++) {
        const view = backing.subarray(offset, offset + length);
        expect(crc32c(view)).toBe(reference(view));
      }
    }
  });
});
