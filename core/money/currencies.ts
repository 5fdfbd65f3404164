/*
 * Active ISO 4217 codes with their minor-unit digits as ISO lists them (not CLDR's display digits:
 * ISO gives IDR, HUF, IRR and LAK two digits, ISK and UGX none). Codes whose minor unit is "N.A."
 * (XAU, XAG, XPD, XPT, XBA–XBD, XDR, XSU, XUA, XTS, XXX) are left out: they cannot hold a minor
 * amount. Withdrawn codes (ANG since XCG, BGN since the euro, SLL, ZWL, HRK, CUC) are left out too.
 */
const BY_DIGITS: readonly (readonly [number, string])[] = [
  [0, 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF'],
  [
    2,
    'AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE ' +
      'CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD ' +
      'HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK ' +
      'MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD ' +
      'RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH ' +
      'USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG',
  ],
  [3, 'BHD IQD JOD KWD LYD OMR TND'],
  [4, 'CLF UYW'],
];

const MINOR_DIGITS: ReadonlyMap<string, number> = new Map(
  BY_DIGITS.flatMap(([digits, codes]) => codes.split(' ').map((code) => [code, digits] as const)),
);

/** Every supported currency code, upper case, sorted. */
export const CURRENCY_CODES: readonly string[] = Object.freeze([...MINOR_DIGITS.keys()].sort());

/** Minor-unit digits of an upper-case ISO 4217 code, or undefined when the code is not supported. */
export function minorDigits(code: string): number | undefined {
  return MINOR_DIGITS.get(code);
}

/** True for a supported upper-case ISO 4217 code (`usd` is not a code: callers upper-case input). */
export function isCurrency(code: string): boolean {
  return MINOR_DIGITS.has(code);
}
