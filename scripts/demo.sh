#!/usr/bin/env bash
# The article's whole IAM Roles Anywhere flow, offline, with the key born in a token:
# SoftHSM token + non-extractable key, a CA and a device certificate (OU=DataCenter-Northeast),
# the local endpoint serving a CloudFormation template like the article's, an ~/.aws/config
# profile whose credential_process is this CLI, and a boto3 upload to S3.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# RA_DEMO_SKIP_SETUP=1: set-up already done (the test suite runs the demo beside other tests).
[ "${RA_DEMO_SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh >/dev/null
demo=$root/.demo
rm -rf "$demo"
mkdir -p "$demo/tokens" "$demo/aws"
chmod 700 "$demo"
cli=$root/bin/rolesanywhere-agent
export SOFTHSM2_CONF=$demo/softhsm2.conf
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$demo" >"$SOFTHSM2_CONF"
module=/usr/lib/softhsm/libsofthsm2.so
pin=edge-pin-7391
endpoint_pid=
cleanup() { [ -n "$endpoint_pid" ] && kill "$endpoint_pid" 2>/dev/null && wait "$endpoint_pid" 2>/dev/null; true; }
trap cleanup EXIT

say() { printf '%s\n' "$*"; }
quiet() { "$@" >/dev/null 2>&1 || { echo "demo: failed: $*" >&2; "$@"; exit 1; }; }

# 1. The token and a key generated inside it: sensitive, never extractable.
quiet softhsm2-util --init-token --free --label edge --pin $pin --so-pin 5678
quiet pkcs11-tool --module $module --token-label edge --login --pin $pin \
  --keypairgen --key-type EC:prime256v1 --id 01 --label device --usage-sign
printf '%s' $pin >"$demo/pin" && chmod 600 "$demo/pin"
say "1. SoftHSM token 'edge' holds a P-256 key generated inside it (not extractable)."

# 2. A CA (the trust anchor) issues the device certificate for the token's public key.
quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$demo/ca.key"
quiet openssl req -x509 -new -key "$demo/ca.key" -out "$demo/ca.crt" -days 365 -sha256 \
  -subj "/O=Example Corp/CN=Example Demo CA" \
  -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign"
quiet pkcs11-tool --module $module --token-label edge --read-object --type pubkey --id 01 -o "$demo/device.pub.der"
quiet openssl pkey -pubin -inform DER -in "$demo/device.pub.der" -out "$demo/device.pub.pem"
printf 'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n' >"$demo/device.ext"
quiet openssl x509 -new -subj "/O=Example Corp/OU=DataCenter-Northeast/CN=edge-device-01" \
  -force_pubkey "$demo/device.pub.pem" -CA "$demo/ca.crt" -CAkey "$demo/ca.key" \
  -set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 -extfile "$demo/device.ext" -out "$demo/device.crt"
quiet openssl x509 -in "$demo/device.crt" -outform DER -out "$demo/device.der"
quiet pkcs11-tool --module $module --token-label edge --login --pin $pin \
  --write-object "$demo/device.der" --type cert --id 01 --label device
say "2. Demo CA issued $(openssl x509 -in "$demo/device.crt" -noout -subject | sed 's/^subject=//') and it is stored on the token."

# 3. The local endpoint serves the CloudFormation template (trust anchor, role with the OU
#    condition, profile) offline.
"$cli" local-endpoint --template docs/examples/roles-anywhere.yaml --parameter "CACertificateBody=@$demo/ca.crt" \
  --port 0 --state-dir "$demo/endpoint" >"$demo/endpoint.out" 2>"$demo/endpoint.err" &
endpoint_pid=$!
for _ in $(seq 100); do
  node -e 'const t=require("fs").readFileSync(process.argv[1],"utf8"); const i=t.indexOf("\n"); JSON.parse(t.slice(i+1))' \
    "$demo/endpoint.out" 2>/dev/null && break
  kill -0 $endpoint_pid 2>/dev/null || { cat "$demo/endpoint.err" >&2; exit 1; }
  sleep 0.1
done
read -r url anchor profile role < <(node -e '
  const t = require("fs").readFileSync(process.argv[1], "utf8");
  const r = JSON.parse(t.slice(t.indexOf("\n") + 1));
  console.log(r.endpoint, r.trustAnchors[0].arn, r.profiles[0].arn, r.roles[0].arn);' "$demo/endpoint.out")
say "3. Local Roles Anywhere endpoint on $url serves the template; role $role."

# 4. The ~/.aws/config profile of the article, with this CLI as credential_process and the key
#    named by a pkcs11: URI (the PIN comes from a 0600 file, never the command line).
uri="pkcs11:token=edge;object=device?module-path=$module&pin-source=$demo/pin"
cat >"$demo/aws/config" <<CONFIG
[profile edge-workload]
credential_process = $cli credential-process --private-key '$uri' --trust-anchor-arn $anchor --profile-arn $profile --role-arn $role --endpoint $url
CONFIG
say "4. $demo/aws/config has profile edge-workload with credential_process = rolesanywhere-agent."

# 5. The article's program: boto3 with that profile uploads a file to S3.
export AWS_CONFIG_FILE=$demo/aws/config AWS_SHARED_CREDENTIALS_FILE=$demo/aws/credentials
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
head -c 1048576 /dev/urandom >"$demo/daily_backup.tar.gz"
(cd "$demo" && python3 "$root/docs/examples/upload_backup.py" daily_backup.tar.gz my-secure-onprem-backups "$url") | sed 's/^/5. boto3: /'
say "6. The endpoint's audit log recorded the CreateSession:"
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
  const r = JSON.parse(lines[lines.length - 1]);
  console.log(`   ${r.outcome} for certificate serial ${r.certificateSerial} (${r.subject}) as ${r.roleArn}`);' "$demo/endpoint/audit.log"
say "Done: the private key never left the token. Everything is in .demo/; the endpoint is stopped."
