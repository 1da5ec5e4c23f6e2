import {
  isValidQuantity,
  MAX_QUANTITY_LENGTH,
  parseQuantity,
  Quantity,
  QUANTITY_FORMAT_MESSAGE,
  QuantityFormat,
  QuantityParseError,
  validateQuantity,
} from './index';

const N = 1_000_000_000n; // nano per unit
const Ki = 1024n;

function nano(s: string): bigint {
  return parseQuantity(s).nanoValue();
}

describe('parseQuantity', () => {
  it.each<[string, bigint, QuantityFormat]>([
    ['0', 0n, 'DecimalSI'],
    ['0n', 0n, 'DecimalSI'],
    ['0m', 0n, 'DecimalSI'],
    ['0Ki', 0n, 'BinarySI'],
    ['0Gi', 0n, 'BinarySI'],
    ['0e3', 0n, 'DecimalExponent'],
    ['-0', 0n, 'DecimalSI'],
    ['1', N, 'DecimalSI'],
    ['+1', N, 'DecimalSI'],
    ['-1', -N, 'DecimalSI'],
    ['100m', 100_000_000n, 'DecimalSI'],
    ['0.5', 500_000_000n, 'DecimalSI'],
    ['.5', 500_000_000n, 'DecimalSI'],
    ['1.', N, 'DecimalSI'],
    ['1.G', N * 1_000_000_000n, 'DecimalSI'],
    ['5n', 5n, 'DecimalSI'],
    ['10u', 10_000n, 'DecimalSI'],
    ['2k', 2000n * N, 'DecimalSI'],
    ['50k', 50_000n * N, 'DecimalSI'],
    ['1M', 10n ** 6n * N, 'DecimalSI'],
    ['1G', 10n ** 9n * N, 'DecimalSI'],
    ['1T', 10n ** 12n * N, 'DecimalSI'],
    ['1P', 10n ** 15n * N, 'DecimalSI'],
    ['1E', 10n ** 18n * N, 'DecimalSI'],
    ['12E', 12n * 10n ** 18n * N, 'DecimalSI'],
    ['1Ki', Ki * N, 'BinarySI'],
    ['512Mi', 512n * Ki ** 2n * N, 'BinarySI'],
    ['1Gi', Ki ** 3n * N, 'BinarySI'],
    ['5Ti', 5n * Ki ** 4n * N, 'BinarySI'],
    ['4Pi', 4n * Ki ** 5n * N, 'BinarySI'],
    ['1Ei', Ki ** 6n * N, 'BinarySI'],
    ['3Ei', 3n * Ki ** 6n * N, 'BinarySI'],
    ['1.5Gi', 1536n * Ki ** 2n * N, 'BinarySI'],
    ['100.035Ki', 102435840000000n, 'BinarySI'],
    ['0.5Mi', 512n * Ki * N, 'BinarySI'],
    ['1e3', 1000n * N, 'DecimalExponent'],
    ['1E3', 1000n * N, 'DecimalExponent'],
    ['1E-3', 1_000_000n, 'DecimalExponent'],
    ['1e+3', 1000n * N, 'DecimalExponent'],
    ['1.3E+6', 1_300_000n * N, 'DecimalExponent'],
    ['0.5e-2', 5_000_000n, 'DecimalExponent'],
    ['1e0', N, 'DecimalExponent'],
    ['100.035k', 100_035n * N, 'DecimalSI'],
    ['0.0005k', 500_000_000n, 'DecimalSI'],
    ['7.123456M', 7_123_456n * N, 'DecimalSI'],
    ['1.01E', 101n * 10n ** 16n * N, 'DecimalSI'],
    ['18446744073709551616', 18446744073709551616n * N, 'DecimalSI'],
    ['007', 7n * N, 'DecimalSI'],
  ])('%s', (input, expected, format) => {
    const q = parseQuantity(input);
    expect(q.nanoValue()).toBe(expected);
    expect(q.format).toBe(format);
  });

  describe('rounds finer than nano away from zero (Kubernetes rule)', () => {
    it.each<[string, bigint, QuantityFormat]>([
      ['3.001n', 4n, 'DecimalSI'],
      ['1.1E-9', 2n, 'DecimalExponent'],
      ['0.0000000001', 1n, 'DecimalSI'],
      ['0.0000000005', 1n, 'DecimalSI'],
      ['0.5e-9', 1n, 'DecimalExponent'],
      ['0.9n', 1n, 'DecimalSI'],
      ['0.00000012345', 124n, 'DecimalSI'],
      ['0.000000000001Ki', 2n, 'DecimalSI'], // rounds up and becomes DecimalSI
      ['1e-500', 1n, 'DecimalExponent'],
      ['1e-99999999', 1n, 'DecimalExponent'],
      ['-0.9n', -1n, 'DecimalSI'],
      ['-1e-30', -1n, 'DecimalExponent'],
    ])('%s', (input, expected, format) => {
      const q = parseQuantity(input);
      expect(q.nanoValue()).toBe(expected);
      expect(q.format).toBe(format);
    });
  });

  it('caps BinarySI at 2^63-1 like Kubernetes', () => {
    const max = (1n << 63n) - 1n;
    expect(parseQuantity('9Ei').value()).toBe(max);
    expect(parseQuantity('9223372036854775807Ki').value()).toBe(max);
    expect(parseQuantity('-9Ei').value()).toBe(-max);
    expect(parseQuantity('7Ei').value()).toBe(7n * Ki ** 6n);
    // decimal quantities are not capped
    expect(parseQuantity('100E').value()).toBe(100n * 10n ** 18n);
  });

  it.each([
    '',
    '1.2.3',
    'Gi',
    '.',
    '+',
    '-',
    '-Ki',
    '1GiB',
    '1 Gi',
    ' 1',
    '1 ',
    'abc',
    'aoeu',
    '1e',
    '1E+',
    '-3.01e-',
    '--1',
    '+-1',
    '1ki',
    '1kI',
    '1mi',
    '0.1am',
    '.5i',
    '1i',
    '-3.01i',
    '1.1.M',
    '1+1.0M',
    '1Ki3',
    '1Ee3',
    '1e3e',
    '1e3.5',
    '1,5',
    '１',
    '1🙂',
    '0x10',
    'Infinity',
    'NaN',
    '1e1001',
    '1'.repeat(MAX_QUANTITY_LENGTH + 1),
  ])('rejects %j', (input) => {
    expect(() => parseQuantity(input)).toThrow(QuantityParseError);
    expect(isValidQuantity(input)).toBe(false);
  });

  it('uses the Kubernetes messages', () => {
    expect(() => parseQuantity('1GiB')).toThrow(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(() => parseQuantity('')).toThrow(QUANTITY_FORMAT_MESSAGE);
    expect(() => parseQuantity('1ki')).toThrow("unable to parse quantity's suffix");
    expect(() => parseQuantity('1'.repeat(101))).toThrow(/too long/);
    try {
      parseQuantity('abc');
      throw new Error('unreachable');
    } catch (e) {
      expect(e).toBeInstanceOf(QuantityParseError);
      expect(e).toBeInstanceOf(Error);
      expect((e as QuantityParseError).name).toBe('QuantityParseError');
      expect((e as QuantityParseError).input).toBe('abc');
    }
  });

  it('accepts exactly MAX_QUANTITY_LENGTH characters', () => {
    const s = '0.' + '0'.repeat(MAX_QUANTITY_LENGTH - 3) + '1';
    expect(s.length).toBe(MAX_QUANTITY_LENGTH);
    expect(parseQuantity(s).nanoValue()).toBe(1n);
  });

  it('accepts JS numbers the way Kubernetes JSON does', () => {
    expect(parseQuantity(2).toString()).toBe('2');
    expect(parseQuantity(0.5).toString()).toBe('500m');
    expect(parseQuantity(-0).toString()).toBe('0');
    expect(parseQuantity(1e21).toString()).toBe('1e21');
    expect(parseQuantity(1.5e-7).toString()).toBe('150e-9'); // String(1.5e-7) is '1.5e-7'
    expect(() => parseQuantity(NaN)).toThrow(QuantityParseError);
    expect(() => parseQuantity(Infinity)).toThrow(QuantityParseError);
  });

  it('never throws anything but QuantityParseError on odd strings', () => {
    const alphabet = '0123456789.+-eEinumkKMGTPabc ';
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const len = rand(12);
      for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
      try {
        const q = parseQuantity(s);
        // whatever parses must print canonically and re-parse to the same value
        expect(parseQuantity(q.toString()).nanoValue()).toBe(q.nanoValue());
      } catch (e) {
        expect(e).toBeInstanceOf(QuantityParseError);
      }
    }
  });
});

describe('isValidQuantity', () => {
  it('accepts valid strings and finite numbers only', () => {
    expect(isValidQuantity('100m')).toBe(true);
    expect(isValidQuantity('1Gi')).toBe(true);
    expect(isValidQuantity(3)).toBe(true);
    expect(isValidQuantity(0.25)).toBe(true);
    expect(isValidQuantity(-1)).toBe(true);
    expect(isValidQuantity(NaN)).toBe(false);
    expect(isValidQuantity(Infinity)).toBe(false);
    expect(isValidQuantity(null)).toBe(false);
    expect(isValidQuantity(undefined)).toBe(false);
    expect(isValidQuantity({})).toBe(false);
    expect(isValidQuantity(['1'])).toBe(false);
    expect(isValidQuantity(true)).toBe(false);
    expect(isValidQuantity(1n)).toBe(false);
    expect(isValidQuantity('1GiB')).toBe(false);
  });
});

describe('Quantity.toString (canonical form)', () => {
  it.each([
    ['1000m', '1'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['1536Mi', '1536Mi'],
    ['1.5Gi', '1536Mi'],
    ['1e3', '1e3'],
    ['1E3', '1e3'],
    ['1e4', '10e3'],
    ['1.2e3', '1200'],
    ['0.5e-1', '50e-3'],
    ['1E-3', '1e-3'],
    ['1e-9', '1e-9'],
    ['80e-3', '80e-3'],
    ['1Ki', '1Ki'],
    ['1Mi', '1Mi'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1024Ki', '1Mi'],
    ['307200Ki', '300Mi'],
    ['1025024Mi', '1001Gi'],
    ['1000M', '1G'],
    ['0.001T', '1G'],
    ['1000000k', '1G'],
    ['1000000000', '1G'],
    ['1000u', '1m'],
    ['1.08', '1080m'],
    ['1080000000n', '1080m'],
    ['100m', '100m'],
    ['2k', '2k'],
    ['1000E', '1e21'],
    ['5000E', '5e21'],
    ['1000000E', '1e24'],
    ['1E', '1E'],
    ['1Ei', '1Ei'],
    ['1024Pi', '1Ei'],
    ['.001Ki', '1024m'],
    ['.000001Ki', '1024u'],
    ['.000000001Ki', '1024n'],
    ['.000000000001Ki', '2n'],
    ['0.5Ki', '512'],
    ['1023', '1023'],
    ['1025Ki', '1025Ki'],
    ['1.1Ki', '1126400m'], // not a whole number: falls back to DecimalSI
    ['9Ei', '9223372036854775807'],
    ['0', '0'],
    ['0Gi', '0'],
    ['0e9', '0'],
    ['-0', '0'],
    ['-1', '-1'],
    ['-100m', '-100m'],
    ['-1.5Gi', '-1536Mi'],
    ['-1e3', '-1e3'],
    ['+5', '5'],
    ['0.9n', '1n'],
    ['1.23456789', '1234567890n'],
    ['1.2345', '1234500u'],
    ['18446744073709551616', '18446744073709551616'],
  ])('%s → %s', (input, canonical) => {
    expect(parseQuantity(input).toString()).toBe(canonical);
    expect(String(parseQuantity(input))).toBe(canonical);
    expect(JSON.stringify({ q: parseQuantity(input) })).toBe(JSON.stringify({ q: canonical }));
  });

  it('prints constructed quantities like Kubernetes NewQuantity / NewMilliQuantity', () => {
    expect(Quantity.fromValue(1n).toString()).toBe('1');
    expect(Quantity.fromValue(1000n).toString()).toBe('1k');
    expect(Quantity.fromValue(1234000n).toString()).toBe('1234k');
    expect(Quantity.fromValue(1024n, 'BinarySI').toString()).toBe('1Ki');
    expect(Quantity.fromValue(1024n * 1024n, 'BinarySI').toString()).toBe('1Mi');
    expect(Quantity.fromValue(1000000n, 'DecimalExponent').toString()).toBe('1e6');
    expect(Quantity.fromValue(5n, 'BinarySI').toString()).toBe('5');
    expect(Quantity.fromMilli(1n).toString()).toBe('1m');
    expect(Quantity.fromMilli(1000n).toString()).toBe('1');
    expect(Quantity.fromMilli(1234000n).toString()).toBe('1234');
    expect(Quantity.fromMilli(1024n, 'BinarySI').toString()).toBe('1024m');
    expect(Quantity.fromMilli(1024n * 1024n, 'BinarySI').toString()).toBe('1048576m');
    expect(Quantity.fromMilli(1000000n, 'DecimalExponent').toString()).toBe('1e3');
    expect(Quantity.fromNano(1n).toString()).toBe('1n');
    expect(Quantity.fromNano(1000n).toString()).toBe('1u');
    expect(Quantity.fromNano(250).toString()).toBe('250n');
    expect(Quantity.fromValue(3).toString()).toBe('3');
    expect(Quantity.fromValue(1n, 'DecimalExponent').toString()).toBe('1');
    expect(Quantity.zero().toString()).toBe('0');
  });

  it('falls back to DecimalExponent for an unknown format, as Kubernetes does', () => {
    expect(Quantity.fromValue(1000000n, 'Bogus' as QuantityFormat).toString()).toBe('1e6');
  });

  it('keeps a suffix beyond Ei instead of dropping it', () => {
    const big = Quantity.fromValue(Ki ** 7n, 'BinarySI');
    expect(big.toString()).toBe('1024Ei');
    expect(parseQuantity('1024Ei').toString()).toBe('9223372036854775807'); // parse caps
  });

  it('round-trips: parse(print(q)) equals q for many random quantities', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const formats: QuantityFormat[] = ['DecimalSI', 'BinarySI', 'DecimalExponent'];
    for (let i = 0; i < 5000; i++) {
      const digits = BigInt(rand(1_000_000)) * 10n ** BigInt(rand(25));
      const value = rand(2) === 0 ? digits : -digits;
      const format = formats[rand(3)];
      // BinarySI parsing caps at 2^63-1 units, so keep binary values below that
      const q = Quantity.fromNano(format === 'BinarySI' ? value % (1n << 62n) : value, format);
      const printed = q.toString();
      const back = parseQuantity(printed);
      expect(back.nanoValue()).toBe(q.nanoValue());
      // canonical form is a fixed point (a BinarySI value that prints without suffix
      // re-parses as DecimalSI, as in Kubernetes, so compare within one format)
      expect(back.withFormat(q.format).toString()).toBe(printed);
      expect(parseQuantity(back.toString()).toString()).toBe(back.toString());
      // never a fraction in canonical form
      expect(printed).not.toContain('.');
    }
  });
});

describe('Quantity arithmetic', () => {
  it('adds and subtracts exactly', () => {
    expect(parseQuantity('100m').add(parseQuantity('900m')).toString()).toBe('1');
    expect(parseQuantity('1Gi').add(parseQuantity('512Mi')).toString()).toBe('1536Mi');
    expect(parseQuantity('1').sub(parseQuantity('1500m')).toString()).toBe('-500m');
    expect(parseQuantity('0.1').add(parseQuantity('0.2')).equals(parseQuantity('0.3'))).toBe(true);
    expect(parseQuantity('1Gi').sub(parseQuantity('1Gi')).isZero()).toBe(true);
  });

  it('keeps the receiver format unless it is zero (Kubernetes Add/Sub)', () => {
    const zero = parseQuantity('0');
    for (const s of ['100m', '1Gi']) {
      const v = parseQuantity(s);
      expect(v.add(zero).toString()).toBe(s);
      expect(zero.add(v).toString()).toBe(s);
      expect(v.sub(zero).toString()).toBe(s);
      expect(zero.sub(v).toString()).toBe(v.neg().toString());
    }
    expect(parseQuantity('1Gi').add(parseQuantity('1G')).format).toBe('BinarySI');
    expect(parseQuantity('1G').add(parseQuantity('1Gi')).format).toBe('DecimalSI');
    expect(parseQuantity('1G').add(parseQuantity('1Gi')).toString()).toBe('2073741824');
  });

  it('is immutable', () => {
    const a = parseQuantity('1');
    const b = a.add(parseQuantity('1'));
    a.mul(10);
    a.neg();
    expect(a.toString()).toBe('1');
    expect(b.toString()).toBe('2');
  });

  it('multiplies by integers', () => {
    expect(parseQuantity('100m').mul(3).toString()).toBe('300m');
    expect(parseQuantity('512Mi').mul(2n).toString()).toBe('1Gi');
    expect(parseQuantity('1').mul(-2).toString()).toBe('-2');
    expect(parseQuantity('1').mul(0).isZero()).toBe(true);
    expect(() => parseQuantity('1').mul(1.5)).toThrow(RangeError);
    expect(() => parseQuantity('1').mul(NaN)).toThrow(RangeError);
    expect(() => parseQuantity('1').mul(2 ** 60)).toThrow(RangeError);
    expect(() => Quantity.fromValue(0.5)).toThrow(RangeError);
  });

  it('compares', () => {
    expect(parseQuantity('0').cmp(parseQuantity('0'))).toBe(0);
    expect(parseQuantity('100m').cmp(parseQuantity('50m'))).toBe(1);
    expect(parseQuantity('50m').cmp(parseQuantity('100m'))).toBe(-1);
    expect(parseQuantity('10000T').cmp(parseQuantity('100Gi'))).toBe(1);
    expect(parseQuantity('1Ki').cmp(parseQuantity('1k'))).toBe(1);
    expect(parseQuantity('1000m').cmp(parseQuantity('1'))).toBe(0);
    expect(parseQuantity('1e3').equals(parseQuantity('1k'))).toBe(true);
    expect(parseQuantity('-1').cmp(parseQuantity('0'))).toBe(-1);
  });

  it('reports sign and zero', () => {
    expect(parseQuantity('0').sign()).toBe(0);
    expect(parseQuantity('0').isZero()).toBe(true);
    expect(parseQuantity('1n').sign()).toBe(1);
    expect(parseQuantity('-1n').sign()).toBe(-1);
    expect(parseQuantity('-1n').isZero()).toBe(false);
  });

  it('agrees with plain bigint arithmetic on random inputs', () => {
    let seed = 99;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const suffixes = ['n', 'u', 'm', '', 'k', 'M', 'G', 'Ki', 'Mi', 'Gi'];
    for (let i = 0; i < 2000; i++) {
      const a = `${rand(2) ? '-' : ''}${rand(100000)}${suffixes[rand(suffixes.length)]}`;
      const b = `${rand(100000)}${suffixes[rand(suffixes.length)]}`;
      const qa = parseQuantity(a);
      const qb = parseQuantity(b);
      expect(qa.add(qb).nanoValue()).toBe(qa.nanoValue() + qb.nanoValue());
      expect(qa.sub(qb).nanoValue()).toBe(qa.nanoValue() - qb.nanoValue());
      expect(qa.add(qb).sub(qb).equals(qa)).toBe(true);
      expect(qa.cmp(qb)).toBe(
        qa.nanoValue() < qb.nanoValue() ? -1 : qa.nanoValue() > qb.nanoValue() ? 1 : 0,
      );
      expect(parseQuantity(qa.add(qb).toString()).equals(qa.add(qb))).toBe(true);
    }
  });
});

describe('Quantity integer accessors', () => {
  it.each<[string, bigint, bigint]>([
    ['1', 1n, 1000n],
    ['100m', 1n, 100n],
    ['1500m', 2n, 1500n],
    ['1001m', 2n, 1001n],
    ['0.1m', 1n, 1n],
    ['1n', 1n, 1n],
    ['1000001n', 1n, 2n],
    ['0', 0n, 0n],
    ['-1500m', -2n, -1500n], // rounded away from zero, like Kubernetes' int64 path
    ['-1n', -1n, -1n],
    ['1Gi', 1073741824n, 1073741824000n],
    ['9.01', 10n, 9010n],
    ['-9.01', -10n, -9010n],
  ])('%s: value %s, milliValue %s', (input, value, milli) => {
    const q = parseQuantity(input);
    expect(q.value()).toBe(value);
    expect(q.milliValue()).toBe(milli);
  });

  it('keeps the exact nano value', () => {
    expect(nano('1.5Gi')).toBe(1610612736n * N);
    expect(Quantity.fromMilli(1500n).nanoValue()).toBe(1_500_000_000n);
    expect(Quantity.fromNano(7n).milliValue()).toBe(1n);
  });

  it('changes only the printed form with withFormat', () => {
    const q = parseQuantity('1073741824').withFormat('BinarySI');
    expect(q.toString()).toBe('1Gi');
    expect(q.withFormat('DecimalExponent').toString()).toBe('1073741824');
  });
});

describe('validateQuantity', () => {
  it('returns no causes for valid quantities', () => {
    expect(validateQuantity('100m', 'spec.hard[cpu]')).toEqual([]);
    expect(validateQuantity(2, 'spec.hard[cpu]')).toEqual([]);
    expect(validateQuantity('-1', 'x')).toEqual([]);
  });

  it('words causes like Kubernetes', () => {
    expect(validateQuantity('1GiB', 'spec.hard[memory]')).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.hard[memory]',
        message: `Invalid value: "1GiB": ${QUANTITY_FORMAT_MESSAGE}`,
      },
    ]);
    expect(validateQuantity('-1', 'x', { nonNegative: true })).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'x',
        message: 'Invalid value: "-1": must be greater than or equal to 0',
      },
    ]);
    expect(validateQuantity(null, 'x')[0]!.reason).toBe('FieldValueTypeInvalid');
    expect(validateQuantity({}, 'x')[0]!.reason).toBe('FieldValueTypeInvalid');
    expect(validateQuantity(NaN, 'x')[0]!.reason).toBe('FieldValueInvalid');
  });
});
