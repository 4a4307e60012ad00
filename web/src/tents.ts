// Pure helpers of the tent editor (web/src/pages/TentEditor.tsx); unit-tested in test/web-tents.test.ts.

/** A tent id from its name: lower-case letters, digits and dashes, unique among `taken`. */
export function tentId(name: string, taken: Set<string>): string {
  const base =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 56) || 'tent';
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
}
