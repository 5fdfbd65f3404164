/** The languages chipin speaks: named by people (their setting) and by live messages (what a card is shown in). */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
