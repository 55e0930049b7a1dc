// Parser for the WWW-Authenticate header (RFC 9110 §11.6.1): a comma-separated
// list of challenges, each a scheme followed by auth-params whose values are
// tokens or quoted strings. Registries put commas inside quoted values (scope
// lists, realms with query strings), so splitting on commas is wrong.

/** One challenge: the scheme (lower-cased) and its parameters (names lower-cased). */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** Parses every challenge of a WWW-Authenticate header; malformed fragments are skipped, never thrown. */
export function parseWwwAuthenticate(header: string | string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const challenges: AuthChallenge[] = [];
  let current: AuthChallenge | undefined;
  let pos = 0;

  const skipSpace = () => {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\t')) pos++;
  };
  const readToken = () => {
    const start = pos;
    while (pos < text.length && TCHAR.test(text[pos]!)) pos++;
    return text.slice(start, pos);
  };
  // RFC 9110 allows only tokens unquoted, but some servers send bare URLs (`realm=https://…`): read up to the next separator.
  const readBare = () => {
    const start = pos;
    while (pos < text.length && text[pos] !== ',' && text[pos] !== ' ' && text[pos] !== '\t') pos++;
    return text.slice(start, pos);
  };
  const readQuoted = () => {
    pos++;
    let value = '';
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === '\\' && pos + 1 < text.length) pos++;
      value += text[pos];
      pos++;
    }
    pos++;
    return value;
  };

  while (pos < text.length) {
    while (pos < text.length && (text[pos] === ',' || text[pos] === ' ' || text[pos] === '\t')) pos++;
    if (pos >= text.length) break;
    const token = readToken();
    if (token === '') {
      pos++;
      continue;
    }
    skipSpace();
    if (text[pos] === '=' && current) {
      pos++;
      skipSpace();
      const value = text[pos] === '"' ? readQuoted() : readBare();
      current.params[token.toLowerCase()] = value;
      continue;
    }
    current = { scheme: token.toLowerCase(), params: {} };
    challenges.push(current);
  }
  return challenges;
}
