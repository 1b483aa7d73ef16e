// Sender-side key schedule with refresh (draft-sharabayko-srt-01 §6.1, key material refresh): after
// refreshRate - preAnnounce packets the next key is announced beside the current one, after
// refreshRate packets it is used, and preAnnounce packets later the old key is withdrawn.
import { DataKeyFlag } from './constants.ts';
import { sealKeys, type SrtKeys } from './key-material.ts';
import { aesCtr } from './payload-cipher.ts';

export type SenderKeysOptions = {
  passphrase: string;
  keys: SrtKeys;
  /** Packets encrypted with one key before switching (libsrt default 2^24). */
  refreshRatePackets?: number;
  /** Packets before/after the switch during which both keys are announced (libsrt default 2^12). */
  preAnnouncePackets?: number;
  /** Source of new keys; node:crypto's randomBytes in production, a seeded one in tests. */
  randomBytes: (n: number) => Uint8Array;
};

export type EncryptedPayload = { keyFlag: DataKeyFlag; payload: Uint8Array; announce?: Uint8Array };

export class SrtSenderKeys {
  private keys: SrtKeys;
  private active: 'even' | 'odd';
  private count = 0;
  private readonly refreshRate: number;
  private readonly preAnnounce: number;

  constructor(private readonly opts: SenderKeysOptions) {
    this.keys = opts.keys;
    this.active = opts.keys.even ? 'even' : 'odd';
    this.refreshRate = opts.refreshRatePackets ?? 1 << 24;
    this.preAnnounce = Math.min(opts.preAnnouncePackets ?? 1 << 12, Math.floor(this.refreshRate / 2));
  }

  get currentKeys(): SrtKeys {
    return this.keys;
  }

  /** Encrypts one payload; `announce` is a KM message to send to the peer (KMREQ) when the schedule says so. */
  encrypt(seq: number, payload: Uint8Array): EncryptedPayload {
    let announce: Uint8Array | undefined;
    if (this.count === this.refreshRate - this.preAnnounce) {
      const next = this.opts.randomBytes(this.keys.keyLengthBytes);
      this.keys = this.active === 'even' ? { ...this.keys, odd: next } : { ...this.keys, even: next };
      announce = sealKeys(this.opts.passphrase, this.keys);
    } else if (this.count === this.refreshRate) {
      this.active = this.active === 'even' ? 'odd' : 'even';
      this.count = 0;
    } else if (this.count === this.preAnnounce && (this.keys.even && this.keys.odd)) {
      this.keys = this.active === 'even' ? { salt: this.keys.salt, keyLengthBytes: this.keys.keyLengthBytes, even: this.keys.even } : { salt: this.keys.salt, keyLengthBytes: this.keys.keyLengthBytes, odd: this.keys.odd };
      announce = sealKeys(this.opts.passphrase, this.keys);
    }
    this.count++;
    const key = this.active === 'even' ? this.keys.even : this.keys.odd;
    const keyFlag = this.active === 'even' ? DataKeyFlag.Even : DataKeyFlag.Odd;
    const out = aesCtr(key ?? new Uint8Array(0), this.keys.salt, seq, payload);
    return announce ? { keyFlag, payload: out, announce } : { keyFlag, payload: out };
  }
}
