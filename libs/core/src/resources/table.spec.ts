import { humanDuration } from './index';
import { formatLabels, since } from './table';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration (duration.HumanDuration)', () => {
  it.each([
    [0, '0s'],
    [-900, '0s'],
    [-1999, '0s'],
    [-2000, '<invalid>'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [200 * s, '3m20s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [5 * h, '5h'],
    [5 * h + 30 * m, '5h30m'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [2 * d + 3 * h, '2d3h'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d, '8d'],
    [45 * d, '45d'],
    [729 * d, '729d'],
    [730 * d, '2y'],
    [3 * 365 * d + 45 * d, '3y45d'],
    [9 * 365 * d + 100 * d, '9y'],
  ])('%d ms → %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('is total', () => {
    expect(humanDuration(Number.NaN)).toBe('<invalid>');
    expect(humanDuration(Number.POSITIVE_INFINITY)).toBe('<invalid>');
  });
});

describe('since', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  it('prints the age of a timestamp', () => {
    expect(since('2024-05-01T11:55:00Z', now)).toBe('5m');
    expect(since('2024-05-01T13:55:00+02:00', now)).toBe('5m');
  });
  it('prints <unknown> for missing or broken timestamps', () => {
    expect(since(undefined, now)).toBe('<unknown>');
    expect(since('', now)).toBe('<unknown>');
    expect(since('yesterday-ish', now)).toBe('<unknown>');
    expect(since(42, now)).toBe('<unknown>');
  });
});

describe('formatLabels', () => {
  it('sorts by key and prints <none> when empty', () => {
    expect(formatLabels({ tier: 'web', app: 'shop' })).toBe('app=shop,tier=web');
    expect(formatLabels({})).toBe('<none>');
    expect(formatLabels(undefined)).toBe('<none>');
  });
});
