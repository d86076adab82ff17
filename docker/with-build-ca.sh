#!/bin/sh
# Runs a build step's command trusting the building machine's CA bundle, when the build
# context carries one (compat's image builder adds it; a plain `docker build .` does not).
ca=/tmp/compat-build/build-ca.crt
if [ -f "$ca" ]; then
  export SSL_CERT_FILE="$ca" PIP_CERT="$ca" NODE_EXTRA_CA_CERTS="$ca" npm_config_cafile="$ca"
fi
exec "$@"
