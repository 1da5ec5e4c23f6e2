import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';

/**
 * The paths of the keys a YAML document repeats, in the form duplicateJsonKeys gives for
 * JSON (`metadata.labels.app`, `spec.containers[0].name`). Parse with `uniqueKeys: false`
 * (the last value wins, as Go's YAML-to-JSON conversion keeps it); walked without recursion.
 * Aliases are not followed: their target is walked where it is defined.
 */
export function duplicateYamlKeys(doc: Document): string[] {
  const found: string[] = [];
  // [node, its path, whether its key repeats one before it in its map]
  const stack: [unknown, string, boolean][] = [[doc.contents, '', false]];
  while (stack.length) {
    const [node, path, repeated] = stack.pop()!;
    // Reported when reached, so that the paths come in document order.
    if (repeated) found.push(path);
    if (!node || isAlias(node)) continue;
    if (isMap(node)) {
      const seen = new Set<string>();
      const children: [unknown, string, boolean][] = [];
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        children.push([pair.value as Node | null, path ? `${path}.${key}` : key, seen.has(key)]);
        seen.add(key);
      }
      // Pushed in reverse: the first key is walked first.
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    } else if (isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--)
        stack.push([node.items[i], `${path}[${i}]`, false]);
    }
  }
  return found;
}
