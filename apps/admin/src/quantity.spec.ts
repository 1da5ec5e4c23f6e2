import { age, formatQuantity, parseQuantity } from './quantity';

describe('quantities for bars', () => {
  it('parses Kubernetes quantities', () => {
    expect(parseQuantity('100m')).toBeCloseTo(0.1);
    expect(parseQuantity('2')).toBe(2);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('512Mi')).toBe(512 * 2 ** 20);
    expect(parseQuantity('1G')).toBe(1e9);
    expect(parseQuantity(undefined)).toBe(0);
    expect(parseQuantity('nonsense')).toBe(0);
  });

  it('formats them back readably per resource', () => {
    expect(formatQuantity('requests.cpu', 0.3)).toBe('300m');
    expect(formatQuantity('requests.cpu', 4)).toBe('4');
    expect(formatQuantity('requests.memory', 192 * 2 ** 20)).toBe('192Mi');
    expect(formatQuantity('requests.memory', 8 * 2 ** 30)).toBe('8Gi');
    expect(formatQuantity('pods', 3)).toBe('3');
  });

  it('prints ages like kubectl', () => {
    const now = Date.parse('2026-12-04T12:00:00Z');
    expect(age('2026-12-04T11:59:30Z', now)).toBe('30s');
    expect(age('2026-12-04T11:00:00Z', now)).toBe('60m');
    expect(age('2026-12-03T12:00:00Z', now)).toBe('24h');
    expect(age('2026-11-01T12:00:00Z', now)).toBe('33d');
  });
});
