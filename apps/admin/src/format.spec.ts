import { age, formatQuantity, quantityNumber, showQuantity, sumQuantities } from './format';

describe('quantities for bars', () => {
  it("reads Kubernetes quantities with @berth/core's parser", () => {
    expect(quantityNumber('100m')).toBeCloseTo(0.1);
    expect(quantityNumber('2')).toBe(2);
    expect(quantityNumber('1Gi')).toBe(2 ** 30);
    expect(quantityNumber('512Mi')).toBe(512 * 2 ** 20);
    expect(quantityNumber('1G')).toBe(1e9);
    expect(quantityNumber(3)).toBe(3);
    expect(quantityNumber(undefined)).toBe(0);
  });

  it('never turns a quantity that does not parse into 0', () => {
    expect(quantityNumber('nonsense')).toBeUndefined();
    expect(quantityNumber('1.5.5')).toBeUndefined();
    expect(showQuantity('requests.memory', 'nonsense')).toBe('nonsense');
    expect(showQuantity('requests.memory', '1Gi')).toBe('1Gi');
    expect(showQuantity('requests.cpu', NaN)).toBe('?');
    expect(sumQuantities(['1', 'nonsense'])).toBeUndefined();
    expect(sumQuantities(['100m', '200m', undefined])).toBeCloseTo(0.3);
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
