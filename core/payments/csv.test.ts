import { describe, expect, it } from 'vitest';
import { csvField, historyCsv, plainDecimal } from './csv.js';
import type { HistoryEntry } from './model.js';

describe('CSV export', () => {
  it('writes amounts as plain decimals with the currency’s digits', () => {
    expect(plainDecimal(1_250n, 'USD')).toBe('12.50');
    expect(plainDecimal(5n, 'USD')).toBe('0.05');
    expect(plainDecimal(123_456_789n, 'USD')).toBe('1234567.89');
    expect(plainDecimal(520n, 'JPY')).toBe('520');
    expect(plainDecimal(1_005n, 'BHD')).toBe('1.005');
  });

  it('quotes fields per RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('')).toBe('');
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-2')).toBe("'-2");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\t=cmd')).toBe("'\t=cmd");
    expect(csvField('=HYPERLINK("x","y")')).toBe(`"'=HYPERLINK(""x"",""y"")"`);
    expect(csvField('a=b')).toBe('a=b');
  });

  it('lists entries oldest first under a fixed header, CRLF-terminated', () => {
    const entry = (id: bigint, at: string, note: string | null): HistoryEntry => ({
      transferId: id,
      at: new Date(at),
      direction: 'out',
      amount: { minor: 12_50n, currency: 'USD' },
      counterpart: 'Bob',
      party: { type: 'person', personId: 2n, name: 'Bob' },
      note,
      kind: 'pay',
      reverses: null,
      state: 'completed',
    });
    const csv = historyCsv([entry(2n, '2026-01-02T00:00:00Z', 'b, c'), entry(1n, '2026-01-01T00:00:00Z', null)]);
    expect(csv).toBe(
      'date,direction,amount,currency,counterpart,note,kind,state,transfer_id,reverses_id\r\n' +
        '2026-01-01T00:00:00.000Z,out,12.50,USD,Bob,,pay,completed,1,\r\n' +
        '2026-01-02T00:00:00.000Z,out,12.50,USD,Bob,"b, c",pay,completed,2,\r\n',
    );
  });

  it('marks a reversal with the row it gives back: money back in for the payer, the note kept', () => {
    const paid: HistoryEntry = {
      transferId: 7n,
      at: new Date('2026-01-01T00:00:00Z'),
      direction: 'out',
      amount: { minor: 25_00n, currency: 'USD' },
      counterpart: 'Bob',
      party: { type: 'person', personId: 2n, name: 'Bob' },
      note: 'rent',
      kind: 'pay',
      reverses: null,
      state: 'undone',
    };
    const undo: HistoryEntry = {
      ...paid,
      transferId: 8n,
      direction: 'in',
      kind: 'pay.undo',
      reverses: 7n,
      state: 'completed',
    };
    expect(historyCsv([undo, paid]).split('\r\n').slice(1, 3)).toEqual([
      '2026-01-01T00:00:00.000Z,out,25.00,USD,Bob,rent,pay,undone,7,',
      '2026-01-01T00:00:00.000Z,in,25.00,USD,Bob,rent,pay.undo,completed,8,7',
    ]);
  });
});
