// Package URLs normalised for matching: the package identity (type, namespace, name; no version,
// qualifiers or subpath) in packageurl-js's canonical form, and the version apart.
import { PackageURL } from 'packageurl-js';

export interface NormalPurl {
  /** pkg:type/namespace/name, canonical. */
  pkg: string;
  type: string;
  version: string | null;
  /** The whole purl, canonical (with version, qualifiers and subpath). */
  full: string;
}

export class PurlError extends Error {}

/**
 * Normalised forms of purls seen lately: a pure function of its input, and SBOMs repeat the same
 * popular packages, so uploads skip most of packageurl-js's parsing. Emptied past a limit.
 */
const memo = new Map<string, Readonly<NormalPurl>>();
const MEMO_LIMIT = 200_000;

export function normalizePurl(input: string): NormalPurl {
  const hit = memo.get(input);
  if (hit) return { ...hit };
  const n = parsePurl(input);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(input, n);
  return { ...n };
}

function parsePurl(input: string): NormalPurl {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(input.trim());
  } catch (e) {
    throw new PurlError(`invalid package URL "${input.slice(0, 200)}": ${(e as Error).message}`);
  }
  const full = p.toString();
  // The canonical form percent-encodes '@', '?' and '#' inside namespace and name, so the first of
  // them ends the package identity (the same string a PackageURL without version, qualifiers and
  // subpath would print, at a third of the cost).
  const end = full.search(/[@?#]/);
  return { pkg: end < 0 ? full : full.slice(0, end), type: p.type, version: p.version ?? null, full };
}

/** A purl for a component that has a name but no purl: pkg:generic/[group/]name@version. */
export function genericPurl(name: string, group?: string, version?: string): NormalPurl {
  const p = new PackageURL('generic', group || undefined, name, version || undefined, undefined, undefined);
  return normalizePurl(p.toString());
}
