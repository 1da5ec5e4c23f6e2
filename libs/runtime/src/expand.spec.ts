import { buildEnv, expandVars } from './expand';

describe('expandVars (Kubernetes $(VAR) expansion)', () => {
  const vars = new Map([
    ['A', 'alpha'],
    ['EMPTY', ''],
  ]);

  it.each([
    ['$(A)', 'alpha'],
    ['x-$(A)-$(A)', 'x-alpha-alpha'],
    ['$(EMPTY)!', '!'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$alpha'],
    ['cost: $5', 'cost: $5'],
    ['unclosed $(A', 'unclosed $(A'],
    ['trailing $', 'trailing $'],
    ['$$', '$'],
  ])('%s → %s', (input, out) => {
    expect(expandVars(input, vars)).toBe(out);
  });

  it('expands env values from the entries before them only', () => {
    const env = buildEnv({ BASE: 'b' }, [
      { name: 'X', value: '$(BASE)-$(Y)' },
      { name: 'Y', value: 'y' },
      { name: 'Z', value: '$(X)/$(Y)' },
      { name: 'BASE', value: 'overridden' },
      { name: 'NOVALUE' },
    ]);
    expect(Object.fromEntries(env)).toEqual({
      BASE: 'overridden',
      X: 'b-$(Y)',
      Y: 'y',
      Z: 'b-$(Y)/y',
      NOVALUE: '',
    });
  });
});
