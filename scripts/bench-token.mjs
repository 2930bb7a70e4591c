// The SoftHSM token the benchmarks sign on: made in `dir`, with an EC P-256 key (label "device",
// id 01) imported and a self-signed leaf certificate for it in `dir`. Sets SOFTHSM2_CONF, which
// must happen before the PKCS#11 module is loaded.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function createBenchToken(dir, pin) {
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  const run = (file, argv) => execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  run('/usr/bin/softhsm2-util', [
    '--init-token',
    '--free',
    '--label',
    'bench',
    '--pin',
    pin,
    '--so-pin',
    '5678',
  ]);
  const key = join(dir, 'device.key');
  const cert = join(dir, 'device.crt');
  run('/usr/bin/openssl', [
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    key,
  ]);
  run('/usr/bin/openssl', [
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    '/CN=bench-device',
    '-addext',
    'basicConstraints=critical,CA:false',
    '-addext',
    'keyUsage=critical,digitalSignature',
  ]);
  run('/usr/bin/openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', key, '-out', `${key}.pk8`]);
  run('/usr/bin/softhsm2-util', [
    '--import',
    `${key}.pk8`,
    '--token',
    'bench',
    '--label',
    'device',
    '--id',
    '01',
    '--pin',
    pin,
  ]);
  return { conf, key, cert };
}
