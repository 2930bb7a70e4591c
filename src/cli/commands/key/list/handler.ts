import { listTokenObjects, type TokenListing } from '../../../../pkcs11/list';
import { carryOver } from '../../../../pkcs11/object-uri';
import { quietTpmLogs } from '../../../../pkcs11/quirks';
import { listTokens } from '../../../../pkcs11/token-select';
import { loadModuleFor, openTokenSession } from '../../../../pkcs11/token-session';
import { type Pkcs11Uri, parsePkcs11Uri } from '../../../../pkcs11/uri';
import { assertTokenUri, type TokenArgs } from '../token-options';
import { formatListing } from './format';

interface ListArgs extends TokenArgs {
  json: boolean;
}

async function listOne(uri: Pkcs11Uri, args: ListArgs, login: 'optional' | 'none'): Promise<TokenListing> {
  const token = await openTokenSession({ uri, ...(args.pkcs11Lib ? { module: args.pkcs11Lib } : {}), login });
  try {
    return listTokenObjects(token, carryOver(uri, token.choice));
  } finally {
    token.close();
  }
}

/**
 * One token (--token) with its private keys when a PIN is to be had; else every token of the
 * module, logged in only when there is just one: a PIN from the environment is never tried on
 * tokens it may not belong to (each wrong try brings a token closer to locking).
 */
export async function run(args: ListArgs): Promise<void> {
  quietTpmLogs(args.debug === true);
  let listings: TokenListing[];
  if (args.token !== undefined) {
    assertTokenUri(args.token);
    listings = [await listOne(parsePkcs11Uri(args.token), args, 'optional')];
  } else {
    const { module } = loadModuleFor({}, args.pkcs11Lib);
    const tokens = listTokens(module);
    listings = [];
    for (const info of tokens) {
      const uri: Pkcs11Uri = { token: info.label, ...(info.serial ? { serial: info.serial } : {}) };
      listings.push(await listOne(uri, args, tokens.length === 1 ? 'optional' : 'none'));
    }
  }
  process.stdout.write(
    args.json ? `${JSON.stringify({ tokens: listings }, null, 2)}\n` : formatListing(listings),
  );
}
