/**
 * Time of day and of week, from the candle's UTC open time. Encoded on the unit circle (sin, cos) so 23:00
 * and 00:00 are neighbours, and Sunday and Monday too.
 */
import type { CandleColumns } from './candleColumns';
import { nanColumn, type Column } from '../../domain/indicators/series';

export const CALENDAR_FEATURES = ['hour_sin', 'hour_cos', 'weekday_sin', 'weekday_cos', 'is_weekend'] as const;
export type CalendarFeature = (typeof CALENDAR_FEATURES)[number];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** 0 = Sunday .. 6 = Saturday, like Date.getUTCDay (1970-01-01 was a Thursday). */
export function utcWeekday(time: number): number {
  return (((Math.floor(time / DAY_MS) + 4) % 7) + 7) % 7;
}

export function calendarFeatures(c: CandleColumns): Record<CalendarFeature, Column> {
  const columns = Object.fromEntries(CALENDAR_FEATURES.map((name) => [name, nanColumn(c.length)])) as Record<CalendarFeature, Column>;
  for (let i = 0; i < c.length; i++) {
    const hour = (c.time[i] - Math.floor(c.time[i] / DAY_MS) * DAY_MS) / HOUR_MS;
    const weekday = utcWeekday(c.time[i]);
    columns.hour_sin[i] = Math.sin((2 * Math.PI * hour) / 24);
    columns.hour_cos[i] = Math.cos((2 * Math.PI * hour) / 24);
    columns.weekday_sin[i] = Math.sin((2 * Math.PI * weekday) / 7);
    columns.weekday_cos[i] = Math.cos((2 * Math.PI * weekday) / 7);
    columns.is_weekend[i] = weekday === 0 || weekday === 6 ? 1 : 0;
  }
  return columns;
}
