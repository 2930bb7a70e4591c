#!/usr/bin/env bash
# Installs what the project and its tests need, and only what is missing, then the npm
# dependencies (native addons built from source) and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  openssl          # test PKI, key conversions
  softhsm2         # the PKCS#11 token of tests and the demo
  opensc           # pkcs11-tool
  p11-kit          # p11-kit-proxy, the default PKCS#11 module
  p11-kit-modules
  libp11-kit-dev   # pkcs11.h for the native addon's signing threads
  pkg-config       # finds it (native-bindings/binding.gyp)
  awscli           # end-to-end tests and the demo use the real clients
  python3-boto3
  swtpm            # software TPM for the TPM tests
  swtpm-tools
  tpm2-tools
  libtpm2-pkcs11-1
  libtpm2-pkcs11-tools
  tpm2-abrmd            # swtpm has no resource manager; tpm2_ptool needs one
  libtss2-tcti-tabrmd0
  dbus-daemon           # tpm2-abrmd runs on a private session bus in the TPM tests
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing Debian packages: ${missing[*]}" >&2
    echo "hint: run this script as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lock file changed since the last install (it is slow and wipes node_modules).
stamp=node_modules/.setup-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
node -e "require('pkcs11js')" 2>/dev/null || {
  echo "error: the pkcs11js native addon did not build" >&2
  echo "hint: check that allowScripts in package.json lists pkcs11js and that g++ and make are installed" >&2
  exit 1
}

# Our own native parts: peer credentials for the agent, and the fast credential_process client.
bash scripts/build-native.sh
npm run --silent build
