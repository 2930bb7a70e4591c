#!/usr/bin/env bash
# The main job on an embedded default: a SoftHSM token holding a non-extractable key, a CA and a
# device certificate, and the key used through the token without ever leaving it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash scripts/setup.sh >/dev/null
demo=$root/.demo
rm -rf "$demo"
mkdir -p "$demo/tokens"
chmod 700 "$demo"
cli=$root/bin/rolesanywhere-agent
export SOFTHSM2_CONF=$demo/softhsm2.conf
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$demo" >"$SOFTHSM2_CONF"
module=/usr/lib/softhsm/libsofthsm2.so
pin=1234

step() { printf '\n== %s\n' "$*"; }

step "a SoftHSM token 'edge' with a P-256 key generated inside it (sensitive, not extractable)"
softhsm2-util --init-token --free --label edge --pin $pin --so-pin 5678 >/dev/null
pkcs11-tool --module $module --token-label edge --login --pin $pin \
  --keypairgen --key-type EC:prime256v1 --id 01 --label device --usage-sign >/dev/null 2>&1
pkcs11-tool --module $module --token-label edge --login --pin $pin --list-objects --type privkey 2>/dev/null |
  grep -E 'Private Key|label|Access' | sed 's/^/  /'

step "a demo CA issues the device certificate (OU=DataCenter-Northeast) for the token's public key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$demo/ca.key" 2>/dev/null
openssl req -x509 -new -key "$demo/ca.key" -out "$demo/ca.crt" -days 365 -sha256 \
  -subj "/O=Example Corp/CN=Example Demo CA" \
  -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
pkcs11-tool --module $module --token-label edge --read-object --type pubkey --id 01 -o "$demo/device.pub.der" >/dev/null 2>&1
openssl pkey -pubin -inform DER -in "$demo/device.pub.der" -out "$demo/device.pub.pem"
printf 'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n' >"$demo/device.ext"
# openssl x509 -new signs a certificate for a public key alone (-force_pubkey); the key stays in the token.
openssl x509 -new -subj "/O=Example Corp/OU=DataCenter-Northeast/CN=edge-device-01" -force_pubkey "$demo/device.pub.pem" \
  -CA "$demo/ca.crt" -CAkey "$demo/ca.key" -set_serial 0x$(openssl rand -hex 8) -days 30 -sha256 \
  -extfile "$demo/device.ext" -out "$demo/device.crt" 2>/dev/null
openssl x509 -in "$demo/device.crt" -outform DER -out "$demo/device.der"
pkcs11-tool --module $module --token-label edge --login --pin $pin --write-object "$demo/device.der" \
  --type cert --id 01 --label device >/dev/null 2>&1
openssl x509 -in "$demo/device.crt" -noout -subject -serial | sed 's/^/  /'

uri="pkcs11:token=edge;object=device?module-path=$module&pin-source=$demo/pin"
printf '%s' $pin >"$demo/pin"
chmod 600 "$demo/pin"

step "read-certificate-data: the certificate, read from the token"
"$cli" read-certificate-data --certificate "$uri" | node -e '
  const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log(`  keyType ${d.keyType}, serial ${d.serialNumber}, digests ${d.supportedAlgorithms.join(" ")}`);'

step "sign-string: the token signs; openssl verifies with the certificate's public key"
"$cli" sign-string --private-key "$uri" --format bin --digest SHA256 <<<"hello from the edge" >"$demo/signature.der"
openssl x509 -in "$demo/device.crt" -noout -pubkey >"$demo/device.pub.check.pem"
printf 'hello from the edge\n' | openssl dgst -sha256 -verify "$demo/device.pub.check.pem" -signature "$demo/signature.der" | sed 's/^/  /'

step "done: the private key never left the token. Files are in .demo/"
