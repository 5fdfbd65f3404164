/** Numbers written in Chinese, as people type them in commands: 三, 两, 十, 十二, 二十, 三十五, or plain digits. */
const DIGITS: Readonly<Record<string, number>> = {
  一: 1,
  两: 2,
  二: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};

/** The number `text` stands for (1–99 in characters, any run of ASCII digits); undefined for anything else. */
export function hanNumber(text: string): number | undefined {
  if (/^[0-9]+$/.test(text)) return Number(text);
  if (text === '十') return 10;
  const tens = /^([一二两三四五六七八九]?)十([一二三四五六七八九]?)$/u.exec(text);
  if (tens) return (tens[1] ? (DIGITS[tens[1]] ?? 0) : 1) * 10 + (tens[2] ? (DIGITS[tens[2]] ?? 0) : 0);
  return text.length === 1 ? DIGITS[text] : undefined;
}
