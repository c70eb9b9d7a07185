/**
 * A small RFC 4180 reader and writer for campaign lists: quoted fields (with doubled quotes
 * and line breaks inside), CRLF or LF, a header row. Enough for what dialers export.
 */

export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new SyntaxError('a quoted field is not closed');
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** One CSV line; fields with a comma, quote or line break are quoted. Formula-like cells are neutralised for spreadsheets. */
export function csvLine(fields: readonly (string | number | null | undefined)[]): string {
  return fields
    .map((v) => {
      let f = v === null || v === undefined ? '' : String(v);
      // A cell starting with = + - @ is run as a formula by spreadsheets (CSV injection), but a
      // phone number's leading + must stay as it is.
      if (/^[=@\t\r]/.test(f) || (/^[+-]/.test(f) && !/^[+-][\d\s().-]*$/.test(f))) f = `'${f}`;
      return /[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f;
    })
    .join(',');
}
