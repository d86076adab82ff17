#!/bin/sh
# Same command line as the LiteLLM image (--config, --host, --port); the config's
# `fake_litellm:` line picks the behaviour: healthy (default), exit, or hang.
config=""
host=0.0.0.0
port=4000
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --host) host=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    *) shift ;;
  esac
done
behaviour=$(sed -n 's/^fake_litellm: *//p' "$config")
behaviour=${behaviour:-healthy}
echo "fake-litellm starting ($behaviour) on $host:$port"
echo "fake-litellm LITELLM_MASTER_KEY=$LITELLM_MASTER_KEY"
echo "fake-litellm ANTHROPIC_API_KEY=$ANTHROPIC_API_KEY"
echo "fake-litellm cost map local=$LITELLM_LOCAL_MODEL_COST_MAP"
if [ -n "$GOOGLE_APPLICATION_CREDENTIALS" ] && [ -r "$GOOGLE_APPLICATION_CREDENTIALS" ]; then
  echo "fake-litellm credentials file readable"
fi
if [ -n "$COMPAT_ANTHROPIC_API_BASE" ]; then
  # Any HTTP answer (even a 404) proves the upstream is reachable from the container.
  if wget -q -T 5 -O /dev/null "$COMPAT_ANTHROPIC_API_BASE/" 2>&1 | grep -q -e refused -e "can't connect"; then
    echo "fake-litellm upstream unreachable"
  else
    echo "fake-litellm upstream reachable"
  fi
fi
case $behaviour in
  exit) echo "fake-litellm: config rejected"; exit 3 ;;
  # Ignores SIGTERM (under docker's init too): only the SIGKILL after the grace period ends it.
  hang) trap '' TERM; while true; do sleep 1; done ;;
esac
mkdir -p /www/health
echo '"alive"' > /www/health/liveliness
exec httpd -f -v -p "$host:$port" -h /www
