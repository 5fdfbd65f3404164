/** Clock times as people type them, shared by request deadlines and recurring schedules. Pure. */

/** A time of day on someone's wall clock (24-hour); hour 24 is the end of the day (`midnight`). */
export interface Clock {
  hour: number;
  minute: number;
}

/** `8pm`, `8:30pm`, `12am`, `20:00`, `9点`, `noon`, `midnight` (the end of the day: hour 24). */
export function parseClock(text: string): Clock | undefined {
  if (text === 'noon') return { hour: 12, minute: 0 };
  if (text === 'midnight') return { hour: 24, minute: 0 };
  const twelve = /^([0-9]{1,2})(?::([0-9]{2}))?(am|pm)$/.exec(text);
  if (twelve) {
    const hour = Number(twelve[1]);
    const minute = Number(twelve[2] ?? '0');
    if (hour < 1 || hour > 12 || minute > 59) return undefined;
    return { hour: (hour % 12) + (twelve[3] === 'pm' ? 12 : 0), minute };
  }
  const day = /^([0-9]{1,2})(?::([0-9]{2})|点(?:([0-9]{1,2})分?)?)$/u.exec(text);
  if (!day) return undefined;
  const hour = Number(day[1]);
  const minute = Number(day[2] ?? day[3] ?? '0');
  return hour <= 23 && minute <= 59 ? { hour, minute } : undefined;
}
