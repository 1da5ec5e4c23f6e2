/**
 * IP address syntax (IPv4 dotted quads, IPv6 with `::` compression and IPv4 tails).
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

export function isIPv6(s: string): boolean {
  if (s.length > 45 || !s.includes(':')) return false;
  let text = s;
  let groupsWanted = 8;
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    text = `${text.slice(0, lastColon + 1)}0`;
    groupsWanted = 7;
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const group = /^[0-9a-fA-F]{1,4}$/;
  const parse = (part: string): string[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    return groups.every((g) => group.test(g)) ? groups : undefined;
  };
  const head = parse(halves[0]!);
  if (!head) return false;
  if (halves.length === 1) return head.length === groupsWanted;
  const rest = parse(halves[1]!);
  if (!rest) return false;
  return head.length + rest.length < groupsWanted;
}

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}
