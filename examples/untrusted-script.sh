#!/bin/sh
# A script that tries things a sandbox must refuse; each line reports the outcome.
try() { if "$@" >/dev/null 2>&1; then echo "ALLOWED: $*"; else echo "refused: $*"; fi; }
try touch /etc/owned
try touch /untrusted.sh
try mount -t tmpfs none /mnt
try chown 1000 /tmp
try sh -c 'echo x > /proc/sys/kernel/hostname'
echo "network interfaces: $(ls /sys/class/net | tr '\n' ' ')"
echo "can write /tmp (a tmpfs): $(touch /tmp/ok && echo yes || echo no)"
echo "uid inside: $(id -u), capabilities: $(grep CapEff /proc/self/status)"
