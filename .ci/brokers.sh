#!/usr/bin/env bash
# The cluster tests (tests/cluster.rs) need Redis on 127.0.0.1:6379 and NATS on 127.0.0.1:4222,
# which this kind of machine runs; their binaries also serve the broker-restart tests. Starts a
# broker that is not answering (as the machine itself would), then fails clearly if one still is not.
set -euo pipefail

redis_answers() {
    timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379 && printf "PING\r\n" >&3 && head -c 5 <&3' 2>/dev/null | grep -q '+PONG'
}

nats_answers() {
    timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/4222 && head -c 4 <&3' 2>/dev/null | grep -q 'INFO'
}

if ! redis_answers && command -v redis-server >/dev/null 2>&1; then
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    sleep 1
fi
if ! nats_answers && [ -x /usr/sbin/nats-server ]; then
    mkdir -p /var/lib/nats-server
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
        -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
    sleep 1
fi

missing=0
if ! redis_answers; then
    echo "CI: Redis does not answer PING on 127.0.0.1:6379 (the cluster tests need it)." >&2
    echo "    start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no" >&2
    missing=1
fi
if ! nats_answers; then
    echo "CI: NATS does not answer on 127.0.0.1:4222 (the cluster tests need it)." >&2
    echo "    start it: start-stop-daemon --start --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js" >&2
    missing=1
fi
if ! command -v redis-server >/dev/null 2>&1; then
    echo "CI: the redis-server binary is needed for the broker-restart test." >&2
    missing=1
fi
if ! [ -x /usr/sbin/nats-server ] && ! command -v nats-server >/dev/null 2>&1; then
    echo "CI: the nats-server binary is needed for the broker-restart test." >&2
    missing=1
fi
[ "$missing" = 0 ] && echo "CI: Redis and NATS answer."
exit "$missing"
