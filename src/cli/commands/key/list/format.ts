import type { TokenListing } from '../../../../pkcs11/list';

function keyType(key: TokenListing['keys'][number]): string {
  if (key.keyType === 'ec') return `EC ${key.curve ?? '?'}`;
  if (key.keyType === 'rsa') return `RSA ${key.modulusBits ?? '?'}`;
  return 'other';
}

/** Columns padded to their widest cell; the last column is not padded. */
function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The listing as text: one block per token, a table of keys and certificates. Pure. */
export function formatListing(listings: readonly TokenListing[]): string {
  if (listings.length === 0) return 'no initialized token found\n';
  return listings
    .map((listing) => {
      const { token } = listing;
      const header = [
        `token "${token.label}" (serial ${token.serial || 'none'}, ${token.manufacturer} ${token.model}, slot ${token.slotId})`,
        `module ${listing.module}`,
        ...(listing.loggedIn
          ? []
          : [
              'not logged in: private keys are not shown (give --token with pin-source=, or set RA_PKCS11_PIN)',
            ]),
      ];
      const rows: string[][] = [
        ['KIND', 'LABEL', 'ID', 'TYPE', 'SUBJECT', 'SERIAL', 'NOT AFTER', 'STATUS', 'URI'],
      ];
      for (const key of listing.keys) {
        rows.push([
          key.kind === 'private' ? 'key' : 'pubkey',
          key.label,
          key.id,
          keyType(key),
          '',
          '',
          '',
          `${key.certificates} cert${key.certificates === 1 ? '' : 's'}`,
          key.uri,
        ]);
      }
      for (const cert of listing.certificates) {
        rows.push([
          cert.ca ? 'ca-cert' : 'cert',
          cert.label,
          cert.id,
          '',
          cert.subject,
          cert.serial,
          cert.notAfter.replace(/\.\d{3}Z$/, 'Z'),
          cert.status,
          cert.uri,
        ]);
      }
      const body = rows.length > 1 ? table(rows) : '(no keys or certificates)';
      return `${header.join('\n')}\n\n${body}\n`;
    })
    .join('\n');
}
