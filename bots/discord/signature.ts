/**
 * Discord's request signature: Ed25519 over `timestamp + raw body` with the application's public key,
 * plus our own freshness rule (a captured request replayed later is refused even before the id dedupe).
 * node:crypto only; malformed hex or lengths return false, never throw.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** SPKI DER prefix of an Ed25519 public key; the 32 raw key bytes follow. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Requests whose timestamp is further than this from our clock are refused (SPEC §4: 5 minutes). */
export const MAX_SIGNATURE_AGE_MS = 5 * 60_000;

/** The KeyObject of DISCORD_PUBLIC_KEY (64 hex characters). Throws on a malformed key: a configuration error. */
export function publicKeyFromHex(hex: string): KeyObject {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError('the Discord public key must be 64 hex characters');
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, 'hex')]),
    format: 'der',
    type: 'spki',
  });
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

export function checkSignature(input: {
  key: KeyObject;
  signature: string | undefined;
  timestamp: string | undefined;
  body: Buffer;
  now: number;
  maxAgeMs?: number;
}): SignatureCheck {
  const { signature, timestamp } = input;
  if (signature === undefined || timestamp === undefined) return { ok: false, reason: 'missing' };
  if (!/^[0-9a-fA-F]{128}$/.test(signature) || !/^[0-9]{1,15}$/.test(timestamp))
    return { ok: false, reason: 'malformed' };
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), input.body]);
  if (!verify(null, signed, input.key, Buffer.from(signature, 'hex'))) return { ok: false, reason: 'mismatch' };
  // Checked after the signature, so the timestamp is known to be Discord's own.
  const ageMs = Math.abs(input.now - Number(timestamp) * 1000);
  return ageMs > (input.maxAgeMs ?? MAX_SIGNATURE_AGE_MS) ? { ok: false, reason: 'stale' } : { ok: true };
}
